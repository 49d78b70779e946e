import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Customers } from '../customers/customers.ts';
import type { SecondFactors } from '../credentials/second-factors.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AccountInput, AccountSteps } from '../http/account-step.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { refusedAs } from '../http/page-step.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import type { MessageKey } from '../i18n/en.ts';
import { phoneFormPage } from '../pages/phone-sign-in.page.ts';
import { codeForm, continueForm, phoneForm } from '../flows/interaction.forms.ts';
import { formValue, retryAfter } from '../http/interaction-context.ts';
import type { BrowserSession } from '../oidc/browser-session.ts';
import { isFresh, mayAddSignInMethod } from './freshness.ts';
import type { PhoneVerification } from './phone-verification.ts';
import type { SecurityNotices } from './security-notices.ts';

export interface PhoneDeps {
  accountSteps: AccountSteps;
  customers: Customers;
  factors: SecondFactors;
  phones: PhoneVerification;
  notices: SecurityNotices;
  csrf: CsrfGuard;
}

/** `/account/phone`: add, change (both confirmed by a texted code) or remove the mobile number. */
export function phoneRoutes(app: FastifyInstance, deps: PhoneDeps): void {
  const { csrf, accountSteps } = deps;
  /** Adding a number takes a session that may add a way to sign in; otherwise a (fresh) sign-in, back here. */
  const adding = { back: '/account/phone', needs: { session: (session: BrowserSession) => mayAddSignInMethod(session, deps.factors) } };

  const formPage = (request: FastifyRequest, reply: FastifyReply, status = 200, error?: string) =>
    sendPage(reply, status, phoneFormPage(pageContextFor(request), { action: '/account/phone', csrf: csrf.token(request, reply), backHref: '/account/security', phone: formValue(request.body, 'phone'), error }));
  const codePage = (request: FastifyRequest, reply: FastifyReply, phone: string, status = 200, error?: string) => {
    const page = pageContextFor(request);
    return sendPage(
      reply,
      status,
      codeEntryPage(page, {
        csrf: csrf.token(request, reply),
        title: page.t('sms.code_title'),
        lead: page.t('account.phone.code_lead', { phone }),
        action: '/account/phone/verify',
        resendAction: '/account/phone',
        resendFields: { phone },
        backHref: '/account/phone',
        error,
      }),
    );
  };

  accountSteps.mount(app, { ...adding, method: 'GET', path: '/account/phone', handle: async ({ request, reply }) => formPage(request, reply) });

  accountSteps.mount(app, {
    ...adding,
    method: 'POST',
    path: '/account/phone',
    form: phoneForm,
    refuse: { form: async ({ request, reply, page }: AccountInput) => formPage(request, reply, 400, page.t('error.invalid_phone')) },
    handle: async ({ request, reply, session, page, form }) => {
      try {
        await deps.phones.start(await deps.customers.get(session.accountId), form.phone, request.ip, page.locale);
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        return formPage(request, reply, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
      }
      return reply.code(303).redirect('/account/phone/code', 303);
    },
  });

  accountSteps.mount(app, {
    ...adding,
    method: 'GET',
    path: '/account/phone/code',
    handle: async ({ request, reply, session }) => {
      const pending = await deps.phones.pending(session.accountId);
      return pending ? codePage(request, reply, pending) : reply.code(303).redirect('/account/phone', 303);
    },
  });

  const pendingPhone = async (accountId: string) => (await deps.phones.pending(accountId)) ?? '';
  accountSteps.mount(app, {
    ...adding,
    method: 'POST',
    path: '/account/phone/verify',
    form: codeForm,
    refuse: { form: async ({ request, reply, session, page }: AccountInput) => codePage(request, reply, await pendingPhone(session.accountId), 400, page.t('error.invalid_code')) },
    handle: async ({ request, reply, session, page, form }) => {
      const pending = await pendingPhone(session.accountId);
      try {
        const phone = await deps.phones.confirm(session.accountId, form.code, request.ip);
        await deps.notices.send(session.accountId, 'phone_added', phone);
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        return codePage(request, reply, pending, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
      }
      return reply.code(303).redirect('/account/security?done=phone_verified', 303);
    },
  });

  accountSteps.mount(app, {
    method: 'POST',
    path: '/account/phone/remove',
    back: '/account/security',
    needs: { session: isFresh },
    // An unreadable form is told the same as an expired one (as it always was).
    form: continueForm,
    refuse: { form: refusedAs('csrf', 403, 'The form had expired') },
    handle: async ({ reply, session }) => {
      await deps.customers.setVerifiedPhone(session.accountId, null);
      return reply.code(303).redirect('/account/security?done=phone_removed', 303);
    },
  });
}
