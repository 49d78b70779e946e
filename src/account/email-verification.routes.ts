import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { activeSession } from './active-session.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import type { MessageKey } from '../i18n/en.ts';
import { messagePage } from '../pages/message.page.ts';
import type { EmailVerification } from '../flows/email-verification.ts';
import { codeForm } from '../flows/interaction.forms.ts';
import { formValue, retryAfter } from '../http/interaction-context.ts';

export interface EmailVerificationDeps {
  host: ProviderHost;
  customers: Customers;
  verification: EmailVerification;
  csrf: CsrfGuard;
}

const linkQuery = z.strictObject({ token: z.string().max(128) });

/** `/verify-email?token=…` (the link, any browser) and the code entry on the account pages. */
export function emailVerificationRoutes(app: FastifyInstance, deps: EmailVerificationDeps): void {
  const { csrf } = deps;

  app.get('/verify-email', async (request, reply) => {
    const page = pageContextFor(request);
    const query = linkQuery.safeParse(request.query ?? {});
    if (!query.success) throw new DomainError('link_expired', 400, 'The link is malformed');
    await deps.verification.confirmLink(query.data.token);
    return sendPage(reply, 200, messagePage(page, page.t('verify.done.title'), page.t('verify.done.lead')));
  });

  const codePage = async (request: FastifyRequest, reply: FastifyReply, email: string, status = 200, error?: string) => {
    const page = pageContextFor(request);
    return sendPage(
      reply,
      status,
      codeEntryPage(page, {
        csrf: csrf.token(request, reply),
        title: page.t('verify.title'),
        lead: page.t('verify.code_lead', { email }),
        action: '/account/verify-email',
        resendAction: '/account/verify-email/send',
        resendFields: {},
        backHref: '/account/security',
        error,
      }),
    );
  };

  app.post('/account/verify-email/send', async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return reply.code(303).redirect('/account/login?return=/account/security', 303);
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    const customer = await deps.customers.get(session.accountId);
    try {
      await deps.verification.request(customer, request.ip, pageContextFor(request).locale);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      const page = pageContextFor(request);
      return codePage(request, reply, customer.email, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
    }
    return reply.code(303).redirect('/account/verify-email', 303);
  });

  app.get('/account/verify-email', async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return reply.code(303).redirect('/account/login?return=/account/security', 303);
    return codePage(request, reply, (await deps.customers.get(session.accountId)).email);
  });

  app.post('/account/verify-email', async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return reply.code(303).redirect('/account/login?return=/account/security', 303);
    const customer = await deps.customers.get(session.accountId);
    const page = pageContextFor(request);
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return codePage(request, reply, customer.email, 403, page.t('error.csrf'));
    const form = codeForm.safeParse(request.body);
    if (!form.success) return codePage(request, reply, customer.email, 400, page.t('error.invalid_code'));
    try {
      await deps.verification.confirmCode(customer.id, form.data.code, request.ip);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return codePage(request, reply, customer.email, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
    }
    return reply.code(303).redirect('/account/security?done=email_verified', 303);
  });
}
