import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import { brandNoticePage } from '../pages/brand-notice.page.ts';
import { formValue, type InteractionContext } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { SecondFactorSteps } from './second-factor.routes.ts';

/**
 * `/login/:uid/brand`: the first sign-in at a brand of the group, for someone who used their group
 * account elsewhere: "you are using your {group} account at {brand}", once, then on to the client.
 */
export function brandNoticeRoutes(app: FastifyInstance, deps: { interactions: InteractionContext; flows: InteractionFlowStore; steps: SecondFactorSteps; csrf: CsrfGuard }): void {
  const { interactions, flows, csrf } = deps;

  app.get('/login/:uid/brand', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'brand_notice') throw new DomainError('wrong_step', 400, 'Nothing to show at this sign-in');
    return sendPage(reply, 200, brandNoticePage(loaded.page, { action: `/login/${loaded.uid}/brand`, csrf: csrf.token(request, reply), clientName: loaded.clientName }));
  });

  app.post('/login/:uid/brand', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'brand_notice') throw new DomainError('wrong_step', 400, 'Nothing to confirm at this sign-in');
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    if (!(await flows.advance(loaded.uid, 'brand_notice', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
    const login = { accountId: flow.customerId, amr: flow.amr, ...(flow.acr ? { acr: flow.acr } : {}), remember: true };
    return deps.steps.complete(request, reply, loaded, { login }, { consents: true, profile: true, brand: true });
  });
}
