import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import type { Metrics } from '../ops/metrics.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import type { MessageKey } from '../i18n/en.ts';
import { forgotPasswordPage, newPasswordPage } from '../pages/password-reset.page.ts';
import { codeForm, forgotForm, linkQuery, newPasswordForm } from './interaction.forms.ts';
import { formValue, retryAfter, type InteractionContext, type LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { PasswordRecovery } from './password-recovery.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

export interface RecoveryDeps {
  interactions: InteractionContext;
  recovery: PasswordRecovery;
  flows: InteractionFlowStore;
  continuation: SignInContinuation;
  csrf: CsrfGuard;
  metrics: Metrics;
  passwordMinLength: number;
}

/**
 * Forgot password inside a sign-in: `/login/:uid/forgot` (address) → code entry (or the link in
 * the mail, same browser) → `/login/:uid/reset` (new password) → the sign-in continues.
 */
export function recoveryRoutes(app: FastifyInstance, deps: RecoveryDeps): void {
  const { interactions, csrf, flows } = deps;

  const codePage = (request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, email: string, status = 200, error?: string) =>
    sendPage(
      reply,
      status,
      codeEntryPage(loaded.page, {
        csrf: csrf.token(request, reply),
        title: loaded.page.t('code.title'),
        lead: loaded.page.t('forgot.code_lead', { email }),
        action: `/login/${loaded.uid}/forgot/verify`,
        resendAction: `/login/${loaded.uid}/forgot`,
        resendFields: { email },
        backHref: `/login/${loaded.uid}/forgot`,
        error,
      }),
    );
  const passwordPage = (request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, status = 200, error?: string) =>
    sendPage(reply, status, newPasswordPage(loaded.page, { uid: loaded.uid, csrf: csrf.token(request, reply), passwordMinLength: deps.passwordMinLength, error }));

  app.get('/login/:uid/forgot', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await flows.get(loaded.uid);
    if (flow?.state === 'reset_code_sent') return codePage(request, reply, loaded, flow.email);
    return sendPage(reply, 200, forgotPasswordPage(loaded.page, { uid: loaded.uid, csrf: csrf.token(request, reply) }));
  });

  app.post('/login/:uid/forgot', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const again = (status: number, key: MessageKey, seconds = 0) =>
      sendPage(reply, status, forgotPasswordPage(loaded.page, { uid: loaded.uid, csrf: csrf.token(request, reply), email: formValue(request.body, 'email'), error: loaded.page.t(key, { seconds }) }));
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return again(403, 'error.csrf');
    const form = forgotForm.safeParse(request.body);
    if (!form.success) return again(400, 'error.invalid_email');
    try {
      await deps.recovery.start({ uid: loaded.uid, email: form.data.email, ip: request.ip, locale: loaded.page.locale, brand: loaded.page.brand });
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return again(error.status, `error.${error.code}` as MessageKey, retryAfter(reply, error));
    }
    return reply.code(303).redirect(`/login/${loaded.uid}/forgot`, 303);
  });

  app.post('/login/:uid/forgot/verify', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'reset_code_sent') throw new DomainError('wrong_step', 400, 'No recovery code was sent in this sign-in');
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return codePage(request, reply, loaded, flow.email, 403, loaded.page.t('error.csrf'));
    const form = codeForm.safeParse(request.body);
    if (!form.success) return codePage(request, reply, loaded, flow.email, 400, loaded.page.t('error.invalid_code'));
    try {
      await deps.recovery.verifyCode(loaded.uid, form.data.code, request.ip);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return codePage(request, reply, loaded, flow.email, error.status, loaded.page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
    }
    return reply.code(303).redirect(`/login/${loaded.uid}/reset`, 303);
  });

  app.get('/login/:uid/reset-link', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const query = linkQuery.safeParse(request.query);
    if (!query.success) throw new DomainError('link_expired', 400, 'The link is malformed');
    await deps.recovery.redeemLink(loaded.uid, query.data.token);
    return reply.code(303).redirect(`/login/${loaded.uid}/reset`, 303);
  });

  app.get('/login/:uid/reset', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'reset_password') return reply.code(303).redirect(`/login/${loaded.uid}/forgot`, 303);
    return passwordPage(request, reply, loaded);
  });

  app.post('/login/:uid/reset', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'reset_password') throw new DomainError('wrong_step', 400, 'This password reset was already completed');
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return passwordPage(request, reply, loaded, 403, loaded.page.t('error.csrf'));
    const form = newPasswordForm.safeParse(request.body);
    if (!form.success) return passwordPage(request, reply, loaded, 400, loaded.page.t('error.invalid_form'));
    try {
      await deps.recovery.reset(loaded.uid, flow.customerId, flow.email, form.data.password);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return passwordPage(request, reply, loaded, error.status, loaded.page.t(`error.${error.code}` as MessageKey, { min: deps.passwordMinLength }));
    }
    deps.metrics.signIn('password_reset', 'success');
    return deps.continuation.continue(request, reply, loaded, { customerId: flow.customerId, amr: ['email'] });
  });
}
