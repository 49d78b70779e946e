import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import type { Metrics } from '../ops/metrics.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import type { MessageKey } from '../i18n/en.ts';
import { phoneSignInPage } from '../pages/phone-sign-in.page.ts';
import { codeForm, phoneForm } from './interaction.forms.ts';
import { formValue, retryAfter, type InteractionContext, type LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';
import type { SmsCodeSignIn } from './sms-code-sign-in.ts';

export interface SmsCodeDeps {
  interactions: InteractionContext;
  smsCode: SmsCodeSignIn;
  flows: InteractionFlowStore;
  continuation: SignInContinuation;
  csrf: CsrfGuard;
  metrics: Metrics;
}

/** Sign-in by a code texted to a verified phone: `/login/:uid/sms` → code entry → the sign-in continues. */
export function smsCodeRoutes(app: FastifyInstance, deps: SmsCodeDeps): void {
  const { interactions, csrf, flows } = deps;

  const codePage = (request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, phone: string, status = 200, error?: string) =>
    sendPage(
      reply,
      status,
      codeEntryPage(loaded.page, {
        csrf: csrf.token(request, reply),
        title: loaded.page.t('sms.code_title'),
        lead: loaded.page.t('sms.code_lead', { phone }),
        action: `/login/${loaded.uid}/sms/verify`,
        resendAction: `/login/${loaded.uid}/sms`,
        resendFields: { phone },
        backHref: `/login/${loaded.uid}/sms`,
        error,
      }),
    );

  app.get('/login/:uid/sms', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await flows.get(loaded.uid);
    if (flow?.state === 'phone_code_sent' && (request.query as Record<string, unknown> | undefined)?.step === 'code') return codePage(request, reply, loaded, flow.phone);
    return sendPage(reply, 200, phoneSignInPage(loaded.page, { uid: loaded.uid, csrf: csrf.token(request, reply) }));
  });

  app.post('/login/:uid/sms', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const again = (status: number, key: MessageKey, seconds = 0) =>
      sendPage(reply, status, phoneSignInPage(loaded.page, { uid: loaded.uid, csrf: csrf.token(request, reply), phone: formValue(request.body, 'phone'), error: loaded.page.t(key, { seconds }) }));
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return again(403, 'error.csrf');
    const form = phoneForm.safeParse(request.body);
    if (!form.success) return again(400, 'error.invalid_phone');
    try {
      await deps.smsCode.start({ uid: loaded.uid, phone: form.data.phone, ip: request.ip, locale: loaded.page.locale, brand: loaded.page.brand });
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return again(error.status, `error.${error.code}` as MessageKey, retryAfter(reply, error));
    }
    return reply.code(303).redirect(`/login/${loaded.uid}/sms?step=code`, 303);
  });

  app.post('/login/:uid/sms/verify', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'phone_code_sent') throw new DomainError('wrong_step', 400, 'No code was texted in this sign-in');
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return codePage(request, reply, loaded, flow.phone, 403, loaded.page.t('error.csrf'));
    const form = codeForm.safeParse(request.body);
    if (!form.success) return codePage(request, reply, loaded, flow.phone, 400, loaded.page.t('error.invalid_code'));
    try {
      const customerId = await deps.smsCode.verify(loaded.uid, form.data.code, request.ip);
      deps.metrics.signIn('sms_code', 'success');
      return await deps.continuation.continue(request, reply, loaded, { customerId, amr: ['sms'] });
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      deps.metrics.signIn('sms_code', error.status === 429 ? 'throttled' : 'invalid_credentials');
      return codePage(request, reply, loaded, flow.phone, error.status, loaded.page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
    }
  });
}
