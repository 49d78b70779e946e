import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../errors/domain-error.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import type { Operator } from '../operators/operator-roles.ts';
import { text } from '../validation/text.ts';
import type { WebhookDeliveries } from './webhook-deliveries.ts';
import type { WebhookSubscriptions } from './webhook-subscriptions.ts';
import type { WebhookWorker } from './webhook-worker.ts';

const subscriptionInput = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
  event_types: z
    .array(text().regex(/^(\*|[a-z]+(\.[a-z_]+)+)$/, 'must be an event type such as customer.updated, or *'))
    .min(1)
    .max(50),
  description: text().max(200).optional(),
});
const subscriptionOutput = z.object({
  id: z.string(),
  url: z.string(),
  event_types: z.array(z.string()),
  description: z.string().nullable(),
  created_at: z.number().int(),
  secret: z.string().optional().describe('Standard Webhooks signing secret; returned only when the subscription is created'),
});
const idParams = z.strictObject({ id: z.string().regex(/^whk_[0-9a-f-]{36}$/) });
const deliveryParams = z.strictObject({ id: z.string().regex(/^whk_[0-9a-f-]{36}$/), delivery: z.string().regex(/^dlv_[0-9a-f-]{36}$/) });
const deliveriesQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.string().regex(/^dlv_[0-9a-f-]{36}$/).optional().describe('Cursor: the `next` of the previous page'),
});
const deliveryOutput = z.object({
  id: z.string(),
  event_id: z.string(),
  type: z.string(),
  status: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  created_at: z.number().int(),
  delivered_at: z.number().int().nullable(),
  next_attempt_at: z.number().int(),
});

const present = (s: { id: string; url: string; eventTypes: string[]; description: string | null; createdAt: number; secret?: string }) => ({
  id: s.id,
  url: s.url,
  event_types: s.eventTypes,
  description: s.description,
  created_at: Math.floor(s.createdAt / 1000),
  ...(s.secret ? { secret: s.secret } : {}),
});

const isAdmin = (operator: Operator) => operator.roles.includes('admin');
/** An admin sees every subscription; an integration only those it made. */
const ownedBy = (operator: Operator) => (isAdmin(operator) ? undefined : operator.id);

/** `/api/v1/webhooks`: subscriptions, their deliveries (dead letters included) and redelivery. */
export function webhookRoutes(app: FastifyInstance, api: ApiRegistry, deps: { subscriptions: WebhookSubscriptions; deliveries: WebhookDeliveries; worker: WebhookWorker }): void {
  api.add(app, {
    method: 'POST',
    url: '/webhooks',
    tag: 'webhooks',
    roles: ['admin', 'integration'],
    sensitive: true,
    summary: 'Subscribe a URL to event types (customer.created, customer.updated, customer.deleted, … or *); the signing secret is in this answer only',
    body: subscriptionInput,
    status: 201,
    response: subscriptionOutput,
    handler: async ({ body, operator }) => present(await deps.subscriptions.create(body, isAdmin(operator) ? null : operator.id)),
  });
  api.add(app, {
    method: 'GET',
    url: '/webhooks',
    tag: 'webhooks',
    roles: ['admin', 'integration'],
    summary: 'List webhook subscriptions',
    status: 200,
    response: z.object({ webhooks: z.array(subscriptionOutput) }),
    handler: async ({ operator }) => ({ webhooks: (await deps.subscriptions.list(ownedBy(operator))).map(present) }),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/webhooks/:id',
    tag: 'webhooks',
    roles: ['admin', 'integration'],
    summary: 'Delete a subscription and its pending deliveries',
    params: idParams,
    status: 204,
    handler: ({ params, operator }) => deps.subscriptions.remove(params.id, ownedBy(operator)),
  });
  api.add(app, {
    method: 'GET',
    url: '/webhooks/:id/deliveries',
    tag: 'webhooks',
    roles: ['admin', 'integration'],
    summary: 'Deliveries of a subscription, newest first, a page at a time (go on with before=next while next is set); status=dead lists the dead letters',
    params: idParams,
    query: deliveriesQuery,
    status: 200,
    response: z.object({ deliveries: z.array(deliveryOutput), next: z.string().nullable() }),
    handler: async ({ params, query, operator }) => {
      await deps.subscriptions.get(params.id, ownedBy(operator));
      const page = await deps.deliveries.list(params.id, query);
      return {
        deliveries: page.deliveries.map((row) => ({ ...row, created_at: Math.floor(row.created_at / 1000), delivered_at: row.delivered_at === null ? null : Math.floor(row.delivered_at / 1000), next_attempt_at: Math.floor(row.next_attempt_at / 1000) })),
        next: page.next,
      };
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/webhooks/:id/dead-letters/redeliver',
    tag: 'webhooks',
    roles: ['admin', 'integration'],
    summary: 'Send every dead delivery of the subscription again, at once, in order per customer, each with its own webhook-id (after an outage outlasted the retries)',
    params: idParams,
    status: 202,
    response: z.object({ redelivered: z.number().int() }),
    handler: async ({ params, operator }) => {
      await deps.subscriptions.get(params.id, ownedBy(operator));
      const redelivered = await deps.deliveries.redeliverDead(params.id);
      if (redelivered > 0) deps.worker.kick();
      return { redelivered };
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/webhooks/:id/deliveries/:delivery/redeliver',
    tag: 'webhooks',
    roles: ['admin', 'integration'],
    summary: 'Send a dead (or delivered) delivery again, at once, with the same webhook-id',
    params: deliveryParams,
    status: 202,
    response: z.object({ status: z.literal('pending') }),
    handler: async ({ params, operator }) => {
      await deps.subscriptions.get(params.id, ownedBy(operator));
      if (!(await deps.deliveries.redeliver(params.id, params.delivery))) throw notFound('finished delivery');
      deps.worker.kick();
      return { status: 'pending' as const };
    },
  });
}
