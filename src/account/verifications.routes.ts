import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CallerVerifications } from '../customer-service/caller-verifications.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import { parseInput } from '../validation/parse-input.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { accountVerificationsPage } from '../pages/account-verifications.page.ts';
import { text } from '../validation/text.ts';
import { activeSession } from './active-session.ts';

const RETURN = '/account/verifications';
const answerForm = z.strictObject({ csrf: text().max(200), decision: z.enum(['approve', 'deny']) });
const idParams = z.strictObject({ id: z.uuid() });

/** `/account/verifications`: the customer confirms (or denies) that they are the one talking to customer service. */
export function verificationPageRoutes(app: FastifyInstance, deps: { host: ProviderHost; customers: Customers; verifications: CallerVerifications; csrf: CsrfGuard }): void {
  app.get(RETURN, async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return reply.code(303).redirect(`/account/login?return=${RETURN}`, 303);
    const page = pageContextFor(request);
    const done = (request.query as Record<string, unknown> | undefined)?.done;
    return sendPage(
      reply,
      200,
      accountVerificationsPage(page, {
        csrf: deps.csrf.token(request, reply),
        pending: await deps.verifications.pendingFor(session.accountId),
        ...(done === 'approve' || done === 'deny' ? { notice: page.t(`account.verifications.done_${done}`) } : {}),
      }),
    );
  });

  app.post(`${RETURN}/:id`, async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return reply.code(303).redirect(`/account/login?return=${RETURN}`, 303);
    if (!deps.csrf.verify(request, (request.body as Record<string, unknown> | undefined)?.csrf)) throw new DomainError('csrf', 403, 'The form had expired');
    const { id } = parseInput(idParams, request.params, 'params');
    const form = parseInput(answerForm, request.body, 'body');
    await deps.verifications.answer(session.accountId, id, form.decision === 'approve');
    return reply.code(303).redirect(`${RETURN}?done=${form.decision}`, 303);
  });
}
