import type { FastifyInstance } from 'fastify';
import { sendPage } from '../http/page-reply.ts';
import type { Metrics } from '../ops/metrics.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import { phoneSignInPage } from '../pages/phone-sign-in.page.ts';
import { phoneForm } from './interaction.forms.ts';
import { formValue, retryAfter } from '../http/interaction-context.ts';
import { drawnAgain, drawRefusal, typedCode, type PageInput, type PageSteps } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';
import type { SmsCodeSignIn } from './sms-code-sign-in.ts';

export interface SmsCodeDeps {
  steps: PageSteps;
  smsCode: SmsCodeSignIn;
  continuation: SignInContinuation;
  metrics: Metrics;
}

/** Sign-in by a code texted to a verified phone: `/login/:uid/sms` → code entry → the sign-in continues. */
export function smsCodeRoutes(app: FastifyInstance, deps: SmsCodeDeps): void {
  const { steps } = deps;

  /** The code entry, for the number the code went to. */
  const codePage = async ({ reply, loaded, csrfToken, flow: { phone } }: PageInput & { flow: { phone: string } }, status = 200, error?: string) =>
    sendPage(
      reply,
      status,
      codeEntryPage(loaded.page, {
        csrf: csrfToken(),
        title: loaded.page.t('sms.code_title'),
        lead: loaded.page.t('sms.code_lead', { phone }),
        action: `/login/${loaded.uid}/sms/verify`,
        resendAction: `/login/${loaded.uid}/sms`,
        resendFields: { phone },
        backHref: `/login/${loaded.uid}/sms`,
        error,
      }),
    );
  /** The phone form; drawn again with the number typed and what went wrong. */
  const phonePage = async ({ request, reply, loaded, csrfToken }: PageInput, status = 200, error?: string) =>
    sendPage(reply, status, phoneSignInPage(loaded.page, { uid: loaded.uid, csrf: csrfToken(), ...(error ? { phone: formValue(request.body, 'phone'), error } : {}) }));

  // The code entry once a code was texted (and the browser was sent on to it); else the phone form.
  steps.mount(app, {
    method: 'GET',
    path: '/sms',
    accepts: { states: ['phone_code_sent'], otherwise: async (input) => phonePage(input) },
    handle: async (input) => ((input.request.query as Record<string, unknown> | undefined)?.step === 'code' ? codePage(input) : phonePage(input)),
  });

  steps.mount(app, {
    method: 'POST',
    path: '/sms',
    form: phoneForm,
    refuse: drawnAgain(phonePage, 'error.invalid_phone'),
    handle: async (input) => {
      const { request, reply, loaded } = input;
      try {
        await deps.smsCode.start({ uid: loaded.uid, phone: input.form.phone, ip: request.ip, locale: loaded.page.locale, brand: loaded.page.brand });
      } catch (error) {
        return drawRefusal(phonePage, input, error);
      }
      return reply.code(303).redirect(`/login/${loaded.uid}/sms?step=code`, 303);
    },
  });

  steps.mount(app, {
    method: 'POST',
    path: '/sms/verify',
    accepts: { states: ['phone_code_sent'], otherwise: 'No code was texted in this sign-in' },
    ...typedCode(codePage),
    handle: async (input) => {
      const { request, reply, loaded } = input;
      try {
        const customerId = await deps.smsCode.verify(loaded.uid, input.form.code, request.ip);
        deps.metrics.signIn('sms_code', 'success');
        return await deps.continuation.continue(request, reply, loaded, { customerId, amr: ['sms'] });
      } catch (error) {
        return drawRefusal(codePage, input, error, (refusal) => {
          deps.metrics.signIn('sms_code', refusal.status === 429 ? 'throttled' : 'invalid_credentials');
          return { seconds: retryAfter(reply, refusal) };
        });
      }
    },
  });
}
