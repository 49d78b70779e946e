import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { IdentityLinks } from '../federation/identity-links.ts';
import { parseInput } from '../validation/parse-input.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { accountConnectionsPage } from '../pages/account-connections.page.ts';
import { activeSession } from './active-session.ts';
import { isFresh } from './freshness.ts';

const keyParams = z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/) });
const RETURN = '/account/connections';

/**
 * `/account/connections`: the upstream identities a customer signs in with. Disconnecting one
 * needs a recent sign-in and is refused when it is the last way in they set up.
 */
export function connectionPageRoutes(app: FastifyInstance, deps: { host: ProviderHost; customers: Customers; links: IdentityLinks; csrf: CsrfGuard }): void {
  const show = async (request: FastifyRequest, reply: FastifyReply, accountId: string, status = 200, error?: string) => {
    const page = pageContextFor(request);
    const removed = (request.query as Record<string, unknown> | undefined)?.done === 'removed';
    return sendPage(
      reply,
      status,
      accountConnectionsPage(page, {
        csrf: deps.csrf.token(request, reply),
        identities: await deps.links.list(accountId),
        ...(removed ? { notice: page.t('account.connections.removed') } : {}),
        ...(error ? { error } : {}),
      }),
    );
  };

  app.get(RETURN, async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return reply.code(303).redirect(`/account/login?return=${RETURN}`, 303);
    return show(request, reply, session.accountId);
  });

  app.post(`${RETURN}/:key/remove`, async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session || !isFresh(session)) return reply.code(303).redirect(`/account/login?return=${RETURN}${session ? '&fresh=1' : ''}`, 303);
    if (!deps.csrf.verify(request, (request.body as Record<string, unknown> | undefined)?.csrf)) throw new DomainError('csrf', 403, 'The form had expired');
    const { key } = parseInput(keyParams, request.params, 'params');
    try {
      await deps.links.unlink(session.accountId, key);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'last_sign_in_method') return show(request, reply, session.accountId, 409, pageContextFor(request).t('account.connections.last'));
      throw error;
    }
    return reply.code(303).redirect(`${RETURN}?done=removed`, 303);
  });
}
