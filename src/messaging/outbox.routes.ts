import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import type { Outbox } from './outbox.ts';

const STATUSES = ['pending', 'delivered', 'dead'] as const;
const outboxQuery = z.strictObject({
  topic: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'a topic such as oidc.backchannel_logout').optional(),
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const messageOutput = z.object({
  id: z.string(),
  topic: z.string(),
  status: z.enum(STATUSES),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  created_at: z.number().int(),
  delivered_at: z.number().int().nullable(),
  next_attempt_at: z.number().int(),
});

const seconds = (ms: number) => Math.floor(ms / 1000);

/** `/api/v1/outbox`: what the outbox holds (mail, SMS, back-channel logout), dead letters included; never a message's content. */
export function outboxRoutes(app: FastifyInstance, api: ApiRegistry, outbox: Outbox): void {
  api.add(app, {
    method: 'GET',
    url: '/outbox',
    tag: 'outbox',
    roles: ['admin'],
    summary: 'Outbox messages, newest first: topic (mail, sms, oidc.backchannel_logout), attempts and last error; status=dead lists the dead letters',
    query: outboxQuery,
    status: 200,
    response: z.object({ messages: z.array(messageOutput) }),
    handler: async ({ query }) => {
      const rows = await outbox.list(query);
      return { messages: rows.map((row) => ({ ...row, created_at: seconds(row.created_at), delivered_at: row.delivered_at === null ? null : seconds(row.delivered_at), next_attempt_at: seconds(row.next_attempt_at) })) };
    },
  });
}
