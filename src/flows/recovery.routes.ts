import type { FastifyInstance } from 'fastify';
import { sendPage } from '../http/page-reply.ts';
import type { Metrics } from '../ops/metrics.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import { forgotPasswordPage, newPasswordPage } from '../pages/password-reset.page.ts';
import { forgotForm, linkToken, newPasswordForm } from './interaction.forms.ts';
import { formValue } from '../http/interaction-context.ts';
import { drawnAgain, drawRefusal, typedCode, type PageInput, type PageSteps } from '../http/page-step.ts';
import type { PasswordRecovery } from './password-recovery.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

export interface RecoveryDeps {
  steps: PageSteps;
  recovery: PasswordRecovery;
  continuation: SignInContinuation;
  metrics: Metrics;
  passwordMinLength: number;
}

/**
 * Forgot password inside a sign-in: `/login/:uid/forgot` (address) → code entry (or the link in
 * the mail, same browser) → `/login/:uid/reset` (new password) → the sign-in continues.
 */
export function recoveryRoutes(app: FastifyInstance, deps: RecoveryDeps): void {
  const { steps } = deps;

  /** The code entry, for the address the code went to. */
  const codePage = async ({ reply, loaded, csrfToken, flow: { email } }: PageInput & { flow: { email: string } }, status = 200, error?: string) =>
    sendPage(
      reply,
      status,
      codeEntryPage(loaded.page, {
        csrf: csrfToken(),
        title: loaded.page.t('code.title'),
        lead: loaded.page.t('forgot.code_lead', { email }),
        action: `/login/${loaded.uid}/forgot/verify`,
        resendAction: `/login/${loaded.uid}/forgot`,
        resendFields: { email },
        backHref: `/login/${loaded.uid}/forgot`,
        error,
      }),
    );
  const passwordPage = async ({ reply, loaded, csrfToken }: PageInput, status = 200, error?: string) =>
    sendPage(reply, status, newPasswordPage(loaded.page, { uid: loaded.uid, csrf: csrfToken(), passwordMinLength: deps.passwordMinLength, error }));
  /** The address form; drawn again with the address typed and what went wrong. */
  const forgotPage = async ({ request, reply, loaded, csrfToken }: PageInput, status = 200, error?: string) =>
    sendPage(reply, status, forgotPasswordPage(loaded.page, { uid: loaded.uid, csrf: csrfToken(), ...(error ? { email: formValue(request.body, 'email'), error } : {}) }));
  const toReset = async ({ reply, loaded }: PageInput) => reply.code(303).redirect(`/login/${loaded.uid}/reset`, 303);

  // A code was sent: its entry. Otherwise the address form.
  steps.mount(app, {
    method: 'GET',
    path: '/forgot',
    accepts: { states: ['reset_code_sent'], otherwise: async (input) => forgotPage(input) },
    handle: async (input) => codePage(input),
  });

  steps.mount(app, {
    method: 'POST',
    path: '/forgot',
    form: forgotForm,
    refuse: drawnAgain(forgotPage, 'error.invalid_email'),
    handle: async (input) => {
      const { request, reply, loaded } = input;
      try {
        await deps.recovery.start({ uid: loaded.uid, email: input.form.email, ip: request.ip, locale: loaded.page.locale, brand: loaded.page.brand });
      } catch (error) {
        return drawRefusal(forgotPage, input, error);
      }
      return reply.code(303).redirect(`/login/${loaded.uid}/forgot`, 303);
    },
  });

  steps.mount(app, {
    method: 'POST',
    path: '/forgot/verify',
    accepts: { states: ['reset_code_sent'], otherwise: 'No recovery code was sent in this sign-in' },
    ...typedCode(codePage),
    handle: async (input) => {
      const { request, reply, loaded } = input;
      try {
        await deps.recovery.verifyCode(loaded.uid, input.form.code, request.ip);
      } catch (error) {
        return drawRefusal(codePage, input, error);
      }
      return toReset(input);
    },
  });

  steps.mount(app, {
    method: 'GET',
    path: '/reset-link',
    handle: async (input) => {
      await deps.recovery.redeemLink(input.loaded.uid, linkToken(input.request.query));
      return toReset(input);
    },
  });

  steps.mount(app, {
    method: 'GET',
    path: '/reset',
    accepts: { states: ['reset_password'], otherwise: async ({ reply, loaded }) => reply.code(303).redirect(`/login/${loaded.uid}/forgot`, 303) },
    handle: async (input) => passwordPage(input),
  });

  steps.mount(app, {
    method: 'POST',
    path: '/reset',
    accepts: { states: ['reset_password'], otherwise: 'This password reset was already completed' },
    form: newPasswordForm,
    refuse: drawnAgain(passwordPage, 'error.invalid_form'),
    handle: async (input) => {
      const { request, reply, loaded, flow } = input;
      try {
        await deps.recovery.reset(loaded.uid, flow.customerId, flow.email, input.form.password);
      } catch (error) {
        return drawRefusal(passwordPage, input, error, () => ({ min: deps.passwordMinLength }));
      }
      deps.metrics.signIn('password_reset', 'success');
      return deps.continuation.continue(request, reply, loaded, { customerId: flow.customerId, amr: ['email'] });
    },
  });
}
