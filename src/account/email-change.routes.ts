import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { emailSchema } from '../customers/customer.schemas.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import { codeForm } from '../flows/interaction.forms.ts';
import type { AccountInput, AccountSteps } from '../http/account-step.ts';
import { formValue, retryAfter } from '../http/interaction-context.ts';
import { sendPage } from '../http/page-reply.ts';
import type { MessageKey } from '../i18n/en.ts';
import { accountEmailPage } from '../pages/account-email.page.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import { messagePage } from '../pages/message.page.ts';
import { text } from '../validation/text.ts';
import type { EmailChange } from './email-change.ts';
import { isFresh } from './freshness.ts';

const RETURN = '/account/email';
const emailForm = z.strictObject({ csrf: text().max(200), email: emailSchema });

/**
 * `/account/email`: moving the account to another address, proven by a code sent there. Asked
 * with a sign-in of the last ten minutes (it decides where recovery codes go); done, every session
 * ends, as after recovery, and the old address is told.
 */
export function emailChangeRoutes(app: FastifyInstance, deps: { accountSteps: AccountSteps; customers: Customers; emailChange: EmailChange }): void {
  const { accountSteps } = deps;
  const fresh = { back: RETURN, needs: { session: isFresh } };
  const errorText = (input: AccountInput, error: DomainError) =>
    input.page.t(error.code === 'same_email' ? 'account.email.same' : (`error.${error.code}` as MessageKey), { seconds: retryAfter(input.reply, error) });

  const formPage = async (input: AccountInput, status = 200, error?: string) =>
    sendPage(input.reply, status, accountEmailPage(input.page, { csrf: input.csrfToken(), current: (await deps.customers.get(input.session.accountId)).email, email: formValue(input.request.body, 'email'), error }));
  const codePage = (input: AccountInput, email: string, status = 200, error?: string) =>
    sendPage(
      input.reply,
      status,
      codeEntryPage(input.page, {
        csrf: input.csrfToken(),
        title: input.page.t('account.email.code_title'),
        lead: input.page.t('account.email.code_lead', { email }),
        action: '/account/email/verify',
        resendAction: RETURN,
        resendFields: { email },
        backHref: RETURN,
        error,
      }),
    );

  accountSteps.mount(app, { ...fresh, method: 'GET', path: RETURN, handle: async (input) => formPage(input) });

  accountSteps.mount(app, {
    ...fresh,
    method: 'POST',
    path: RETURN,
    form: emailForm,
    refuse: { form: async (input) => formPage(input, 400, input.page.t('error.invalid_email')) },
    handle: async (input) => {
      try {
        await deps.emailChange.start(await deps.customers.get(input.session.accountId), input.form.email, input.request.ip, input.page.locale);
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        return formPage(input, error.status, errorText(input, error));
      }
      return input.reply.code(303).redirect(`${RETURN}/code`, 303);
    },
  });

  accountSteps.mount(app, {
    ...fresh,
    method: 'GET',
    path: `${RETURN}/code`,
    handle: async (input) => {
      const pending = await deps.emailChange.pending(input.session.accountId);
      return pending ? codePage(input, pending) : input.reply.code(303).redirect(RETURN, 303);
    },
  });

  accountSteps.mount(app, {
    ...fresh,
    method: 'POST',
    path: `${RETURN}/verify`,
    form: codeForm,
    refuse: { form: async (input) => codePage(input, (await deps.emailChange.pending(input.session.accountId)) ?? '', 400, input.page.t('error.invalid_code')) },
    handle: async (input) => {
      const pending = (await deps.emailChange.pending(input.session.accountId)) ?? '';
      let email: string;
      try {
        email = await deps.emailChange.confirm(input.session.accountId, input.form.code, input.request.ip);
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        return codePage(input, pending, error.status, errorText(input, error));
      }
      // Every session ended with the change, this one too: the customer signs in again with the new address.
      return sendPage(input.reply, 200, messagePage(input.page, input.page.t('account.email.done_title'), input.page.t('account.email.done_lead', { email }), undefined, { href: '/account/security', label: input.page.t('account.email.sign_in_again') }));
    },
  });
}
