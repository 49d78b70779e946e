import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { IdentityLinks } from '../federation/identity-links.ts';
import type { AccountSteps } from '../http/account-step.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { accountConnectionsPage } from '../pages/account-connections.page.ts';
import { isFresh } from './freshness.ts';

const keyParams = z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/) });
const RETURN = '/account/connections';

/**
 * `/account/connections`: the upstream identities a customer signs in with. Disconnecting one
 * needs a recent sign-in and is refused when it is the last way in they set up.
 */
export function connectionPageRoutes(app: FastifyInstance, deps: { accountSteps: AccountSteps; links: IdentityLinks; csrf: CsrfGuard }): void {
  const { accountSteps } = deps;

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

  accountSteps.mount(app, { method: 'GET', path: RETURN, back: RETURN, handle: async ({ request, reply, session }) => show(request, reply, session.accountId) });

  accountSteps.mount(app, {
    method: 'POST',
    path: `${RETURN}/:key/remove`,
    back: RETURN,
    needs: { session: isFresh },
    params: keyParams,
    handle: async ({ request, reply, session, page, params }) => {
      try {
        await deps.links.unlink(session.accountId, params.key);
      } catch (error) {
        if (error instanceof DomainError && error.code === 'last_sign_in_method') return show(request, reply, session.accountId, 409, page.t('account.connections.last'));
        throw error;
      }
      return reply.code(303).redirect(`${RETURN}?done=removed`, 303);
    },
  });
}
