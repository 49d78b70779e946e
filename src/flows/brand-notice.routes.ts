import type { FastifyInstance } from 'fastify';
import type { Brands } from '../brands/brands.ts';
import { DomainError } from '../errors/domain-error.ts';
import { sendPage } from '../http/page-reply.ts';
import type { PageSteps } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import { brandNoticePage } from '../pages/brand-notice.page.ts';

/**
 * `/login/:uid/brand` (step `brand_notice`): the first sign-in at a brand of the group, for someone
 * who used their group account elsewhere: "you are using your {group} account at {brand}", once,
 * then on to the client.
 */
export function brandNoticeRoutes(app: FastifyInstance, deps: { steps: PageSteps; flows: InteractionFlowStore; continuation: SignInContinuation; brands: Pick<Brands, 'visited'> }): void {
  const { steps, flows } = deps;

  steps.mount(app, {
    method: 'GET',
    path: '/brand',
    accepts: { states: ['brand_notice'], otherwise: 'Nothing to show at this sign-in' },
    handle: async ({ reply, loaded, csrfToken }) => sendPage(reply, 200, brandNoticePage(loaded.page, { action: `/login/${loaded.uid}/brand`, csrf: csrfToken(), clientName: loaded.clientName })),
  });

  steps.mount(app, {
    method: 'POST',
    path: '/brand',
    accepts: { states: ['brand_notice'], otherwise: 'Nothing to confirm at this sign-in' },
    handle: async ({ request, reply, loaded, flow }) => {
      if (!(await flows.advance(loaded.uid, 'brand_notice', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
      await deps.brands.visited(flow.customerId, loaded.brand);
      return deps.continuation.continue(request, reply, loaded, { customerId: flow.customerId, amr: flow.amr }, 'brand_notice');
    },
  });
}
