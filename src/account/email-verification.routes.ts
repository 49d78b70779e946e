import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import { redrawn, type AccountInput, type AccountSteps } from '../http/account-step.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import type { MessageKey } from '../i18n/en.ts';
import { messagePage } from '../pages/message.page.ts';
import type { EmailVerification } from '../flows/email-verification.ts';
import { codeForm } from '../flows/interaction.forms.ts';
import { retryAfter } from '../http/interaction-context.ts';

export interface EmailVerificationDeps {
  accountSteps: AccountSteps;
  customers: Customers;
  verification: EmailVerification;
  csrf: CsrfGuard;
}

const linkQuery = z.strictObject({ token: z.string().max(128) });

/** `/verify-email?token=…` (the link, any browser) and the code entry on the account pages. */
export function emailVerificationRoutes(app: FastifyInstance, deps: EmailVerificationDeps): void {
  const { csrf, accountSteps } = deps;

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

  /** The code entry drawn again with an error (a refused post). */
  const codePageAgain = async ({ request, reply, session }: AccountInput, status: number, error: string) => codePage(request, reply, (await deps.customers.get(session.accountId)).email, status, error);

  accountSteps.mount(app, {
    method: 'POST',
    path: '/account/verify-email/send',
    back: '/account/security',
    handle: async ({ request, reply, session, page }) => {
      const customer = await deps.customers.get(session.accountId);
      try {
        await deps.verification.request(customer, request.ip, page.locale);
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        return codePage(request, reply, customer.email, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
      }
      return reply.code(303).redirect('/account/verify-email', 303);
    },
  });

  accountSteps.mount(app, {
    method: 'GET',
    path: '/account/verify-email',
    back: '/account/security',
    handle: async ({ request, reply, session }) => codePage(request, reply, (await deps.customers.get(session.accountId)).email),
  });

  accountSteps.mount(app, {
    method: 'POST',
    path: '/account/verify-email',
    back: '/account/security',
    form: codeForm,
    refuse: redrawn(codePageAgain, 'error.invalid_code'),
    handle: async ({ request, reply, session, page, form }) => {
      const customer = await deps.customers.get(session.accountId);
      try {
        await deps.verification.confirmCode(customer.id, form.code, request.ip);
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        return codePage(request, reply, customer.email, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
      }
      return reply.code(303).redirect('/account/security?done=email_verified', 303);
    },
  });
}
