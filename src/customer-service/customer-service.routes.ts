import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { text } from '../validation/text.ts';
import type { CallerVerification, CallerVerifications } from './caller-verifications.ts';
import type { CustomerTimeline } from './customer-timeline.ts';

const customerParams = z.strictObject({ id: z.uuid() });
const verificationParams = z.strictObject({ id: z.uuid() });
const verificationOutput = z.object({
  id: z.string(),
  customer_id: z.string(),
  channel: z.enum(['email', 'sms', 'portal']),
  status: z.enum(['pending', 'verified', 'failed', 'denied', 'expired']).describe('The agent sees this, never the code'),
  agent_id: z.string().nullable(),
  created_at: z.number().int(),
  expires_at: z.number().int(),
  decided_at: z.number().int().nullable(),
});
const present = (verification: CallerVerification) => ({
  id: verification.id,
  customer_id: verification.customerId,
  channel: verification.channel,
  status: verification.status,
  agent_id: verification.agentId,
  created_at: Math.floor(verification.createdAt / 1000),
  expires_at: Math.floor(verification.expiresAt / 1000),
  decided_at: verification.decidedAt === null ? null : Math.floor(verification.decidedAt / 1000),
});

/** Customer service: identify a caller, and see one customer's history across channels. */
export function customerServiceRoutes(app: FastifyInstance, api: ApiRegistry, deps: { verifications: CallerVerifications; timeline: CustomerTimeline }): void {
  api.add(app, {
    method: 'POST',
    url: '/customers/:id/verifications',
    tag: 'customer-service',
    roles: ['admin', 'agent'],
    summary: 'Start identifying a caller: a code to their verified e-mail or phone (they read it out), or a prompt in their signed-in account',
    params: customerParams,
    body: z.strictObject({ channel: z.enum(['email', 'sms', 'portal']), agent_id: text().trim().min(1).max(100).nullable().default(null).describe('The person at customer service') }),
    status: 201,
    response: verificationOutput,
    handler: async ({ params, body, operator }) => present(await deps.verifications.start({ customerId: params.id, channel: body.channel, operatorId: operator.id, agentId: body.agent_id })),
  });
  api.add(app, {
    method: 'GET',
    url: '/verifications/:id',
    tag: 'customer-service',
    roles: ['admin', 'agent'],
    summary: 'Where a verification stands (the portal prompt is answered by the customer)',
    params: verificationParams,
    status: 200,
    response: verificationOutput,
    handler: async ({ params }) => present(await deps.verifications.get(params.id)),
  });
  api.add(app, {
    method: 'POST',
    url: '/verifications/:id/check',
    tag: 'customer-service',
    roles: ['admin', 'agent'],
    summary: 'The code the caller read out: verified, or 400 invalid_code (attempts left); too many wrong codes fail it',
    params: verificationParams,
    body: z.strictObject({ code: text().trim().min(1).max(20) }),
    status: 200,
    response: verificationOutput,
    handler: async ({ params, body, caller }) => present(await deps.verifications.check(params.id, body.code, caller.ip)),
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id/timeline',
    tag: 'customer-service',
    roles: ['admin', 'agent', 'privacy_officer'],
    summary: "One customer's history across channels (sign-ins, changes, consents, identities, requests, verifications), newest first",
    params: customerParams,
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50), before: z.coerce.number().int().min(1).optional().describe('`next` of the previous page') }),
    status: 200,
    response: z.object({
      entries: z.array(z.object({ seq: z.number().int(), at: z.number().int(), action: z.string(), actor: z.object({ type: z.string(), id: z.string().nullable() }), details: z.record(z.string(), z.unknown()) })),
      channels: z.array(z.object({ client_id: z.string(), last_sign_in_at: z.number().int(), sign_ins: z.number().int() })).describe('Last sign-in per client (channel)'),
      next: z.number().int().nullable(),
    }),
    handler: async ({ params, query }) => {
      const [page, channels] = await Promise.all([deps.timeline.page(params.id, query), deps.timeline.channels(params.id)]);
      return {
        entries: page.entries.map((entry) => ({ ...entry, at: Math.floor(entry.at / 1000) })),
        channels: channels.map((channel) => ({ client_id: channel.clientId, last_sign_in_at: Math.floor(channel.lastSignInAt / 1000), sign_ins: channel.signIns })),
        next: page.next,
      };
    },
  });
}
