import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Customers } from '../customers/customers.ts';
import type { SecondFactors } from '../credentials/second-factors.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import type { MessageKey } from '../i18n/en.ts';
import { phoneFormPage } from '../pages/phone-sign-in.page.ts';
import { codeForm, continueForm, phoneForm } from '../flows/interaction.forms.ts';
import { formValue, retryAfter } from '../http/interaction-context.ts';
import { activeSession } from './active-session.ts';
import { isFresh, mayAddSignInMethod } from './freshness.ts';
import type { PhoneVerification } from './phone-verification.ts';
import type { SecurityNotices } from './security-notices.ts';

export interface PhoneDeps {
  host: ProviderHost;
  customers: Customers;
  factors: SecondFactors;
  phones: PhoneVerification;
  notices: SecurityNotices;
  csrf: CsrfGuard;
}

/** `/account/phone`: add, change (both confirmed by a texted code) or remove the mobile number. */
export function phoneRoutes(app: FastifyInstance, deps: PhoneDeps): void {
  const { csrf } = deps;
  const toLogin = (reply: FastifyReply, fresh: boolean) => reply.code(303).redirect(`/account/login?return=/account/phone${fresh ? '&fresh=1' : ''}`, 303);

  /** A session that may add a way to sign in; otherwise the answer is a redirect to (fresh) sign-in. */
  async function allowed(request: FastifyRequest, reply: FastifyReply) {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return { redirect: toLogin(reply, false) };
    if (!(await mayAddSignInMethod(session, deps.factors))) return { redirect: toLogin(reply, true) };
    if (request.method === 'POST' && !csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    return { session };
  }

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

  app.get('/account/phone', async (request, reply) => {
    const { redirect } = await allowed(request, reply);
    return redirect ?? formPage(request, reply);
  });

  app.post('/account/phone', async (request, reply) => {
    const { session, redirect } = await allowed(request, reply);
    if (redirect) return redirect;
    const page = pageContextFor(request);
    const form = phoneForm.safeParse(request.body);
    if (!form.success) return formPage(request, reply, 400, page.t('error.invalid_phone'));
    try {
      await deps.phones.start(await deps.customers.get(session.accountId), form.data.phone, request.ip, page.locale);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return formPage(request, reply, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
    }
    return reply.code(303).redirect('/account/phone/code', 303);
  });

  app.get('/account/phone/code', async (request, reply) => {
    const { session, redirect } = await allowed(request, reply);
    if (redirect) return redirect;
    const pending = await deps.phones.pending(session.accountId);
    return pending ? codePage(request, reply, pending) : reply.code(303).redirect('/account/phone', 303);
  });

  app.post('/account/phone/verify', async (request, reply) => {
    const { session, redirect } = await allowed(request, reply);
    if (redirect) return redirect;
    const page = pageContextFor(request);
    const pending = (await deps.phones.pending(session.accountId)) ?? '';
    const form = codeForm.safeParse(request.body);
    if (!form.success) return codePage(request, reply, pending, 400, page.t('error.invalid_code'));
    try {
      const phone = await deps.phones.confirm(session.accountId, form.data.code, request.ip);
      await deps.notices.send(session.accountId, 'phone_added', phone);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return codePage(request, reply, pending, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
    }
    return reply.code(303).redirect('/account/security?done=phone_verified', 303);
  });

  app.post('/account/phone/remove', async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session || !isFresh(session)) return reply.code(303).redirect(`/account/login?return=/account/security${session ? '&fresh=1' : ''}`, 303);
    if (!csrf.verify(request, formValue(request.body, 'csrf')) || !continueForm.safeParse(request.body).success) throw new DomainError('csrf', 403, 'The form had expired');
    await deps.customers.setVerifiedPhone(session.accountId, null);
    return reply.code(303).redirect('/account/security?done=phone_removed', 303);
  });
}
