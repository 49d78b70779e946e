import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { redrawn, type AccountInput, type AccountSteps } from '../http/account-step.ts';
import { retryAfter } from '../http/interaction-context.ts';
import { sendPage } from '../http/page-reply.ts';
import type { MessageKey } from '../i18n/en.ts';
import { accountPasswordPage } from '../pages/account-password.page.ts';
import { text } from '../validation/text.ts';
import { isFresh } from './freshness.ts';
import type { PasswordChange } from './password-change.ts';

const RETURN = '/account/password';
const passwordForm = z.strictObject({ csrf: text().max(200), current_password: text().max(1024).optional(), password: text().max(4096) });

/** `/account/password`: the customer's new password, with the current one or a sign-in of the last ten minutes; other devices are signed out. */
export function passwordPageRoutes(app: FastifyInstance, deps: { accountSteps: AccountSteps; passwordChange: PasswordChange; passwordMinLength: number }): void {
  const { accountSteps } = deps;
  const show = (input: AccountInput, status: number, error?: string) =>
    sendPage(input.reply, status, accountPasswordPage(input.page, { csrf: input.csrfToken(), askCurrent: !isFresh(input.session), passwordMinLength: deps.passwordMinLength, error }));

  accountSteps.mount(app, { method: 'GET', path: RETURN, back: RETURN, handle: async (input) => show(input, 200) });

  accountSteps.mount(app, {
    method: 'POST',
    path: RETURN,
    back: RETURN,
    form: passwordForm,
    refuse: redrawn(async (input, status, error) => show(input, status, error), 'error.invalid_form'),
    handle: async (input) => {
      const { form, session, page, request, reply } = input;
      const fresh = isFresh(session);
      if (!fresh && !form.current_password) return show(input, 400, page.t('account.password.current_missing'));
      try {
        await deps.passwordChange.change({ customerId: session.accountId, sessionUid: session.uid, current: fresh ? undefined : form.current_password, next: form.password, ip: request.ip });
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        const min = String((error.details as { min_length?: number } | undefined)?.min_length ?? deps.passwordMinLength);
        return show(input, error.status, page.t(error.code === 'wrong_password' ? 'account.password.wrong' : (`error.${error.code}` as MessageKey), { min, seconds: retryAfter(reply, error) }));
      }
      return reply.code(303).redirect('/account/security?done=password_changed', 303);
    },
  });
}
