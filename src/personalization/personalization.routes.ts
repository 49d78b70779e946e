import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import type { Operator } from '../operators/operator-roles.ts';
import { text } from '../validation/text.ts';
import type { Customers } from '../customers/customers.ts';
import { ingestOutput, membershipOutput, segmentCreate, segmentOutput, segmentUpdate, signalBatch, type SignalBatch } from './personalization.schemas.ts';
import { splitRef, type Personalization } from './personalization.ts';
import { segmentKey, signalTypeKey } from './segment-rules.ts';
import type { Membership, Segment } from './segments.ts';

const segmentParams = z.strictObject({ key: segmentKey });
const audienceQuery = z.strictObject({
  after: z.uuid().optional().describe('Cursor: the last customer id of the previous page'),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

const presentSegment = (segment: Segment) => ({ key: segment.key, rule: segment.rule, texts: segment.texts, built: segment.built, created_at: Math.floor(segment.createdAt / 1000), updated_at: Math.floor(segment.updatedAt / 1000) });
const presentMembership = (membership: Membership) => ({
  segment: membership.segment,
  entered_at: Math.floor(membership.enteredAt / 1000),
  reason: membership.reason && { type: membership.reason.type, category: membership.reason.category, occurred_at: Math.floor(membership.reason.occurred_at / 1000) },
});

/** An integration reports only as the systems its key names, and finds customers only by those systems' references. */
function speaksForAll(operator: Operator, batch: SignalBatch): void {
  if (operator.roles.includes('admin') || operator.systems === null) return;
  const named = new Set([batch.system, ...batch.events.flatMap((event) => ('ref' in event.customer ? [splitRef(event.customer.ref)[0]] : []))]);
  const foreign = [...named].find((system) => !operator.systems!.includes(system));
  if (foreign) throw new DomainError('forbidden', 403, `This key does not speak for the system ${foreign}`);
}

/** `/events` (signals in), `/event-types`, `/segments` and a customer's segments (signals out). */
export function personalizationRoutes(app: FastifyInstance, api: ApiRegistry, deps: { personalization: Personalization; customers: Customers }): void {
  const { personalization } = deps;
  const { segments } = personalization;
  api.add(app, {
    method: 'POST',
    url: '/events',
    tag: 'personalization',
    roles: ['admin', 'integration'],
    summary: "Report what customers did (up to 1,000 events): kept only for customers whose grant of the gating purpose counts, once per (system, event id). A bad event refuses the whole batch (nothing written)",
    body: signalBatch,
    // 1,000 events with their items.
    bodyLimit: 4 * 1024 * 1024,
    status: 200,
    response: ingestOutput,
    handler: async ({ body, operator }) => {
      speaksForAll(operator, body);
      return personalization.ingest(body);
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/event-types',
    tag: 'personalization',
    roles: ['admin', 'integration'],
    summary: 'The event types a system may report: purchase, return, view, cart and the declared ones',
    status: 200,
    response: z.object({ event_types: z.array(z.object({ key: z.string(), description: z.string().nullable() })) }),
    handler: async () => ({ event_types: await personalization.signals.types() }),
  });
  api.add(app, {
    method: 'PUT',
    url: '/event-types/:key',
    tag: 'personalization',
    roles: ['admin'],
    summary: 'Declare an event type beyond the built-in ones',
    params: z.strictObject({ key: signalTypeKey }),
    body: z.strictObject({ description: text().trim().min(1).max(300) }),
    status: 200,
    response: z.object({ key: z.string(), description: z.string() }),
    handler: ({ params, body }) => personalization.signals.declareType(params.key, body.description),
  });
  api.add(app, {
    method: 'POST',
    url: '/segments',
    tag: 'personalization',
    roles: ['admin'],
    summary: 'Define a segment by a rule (all / any / not over event, attribute, consent, brand and segment predicates); it is built in the background (`built`)',
    body: segmentCreate,
    status: 201,
    response: segmentOutput,
    handler: async ({ body }) => presentSegment(await segments.create(body)),
  });
  api.add(app, {
    method: 'GET',
    url: '/segments',
    tag: 'personalization',
    roles: ['admin', 'integration'],
    summary: 'Every segment',
    status: 200,
    response: z.object({ segments: z.array(segmentOutput) }),
    handler: async () => ({ segments: (await segments.list()).map(presentSegment) }),
  });
  api.add(app, {
    method: 'GET',
    url: '/segments/:key',
    tag: 'personalization',
    roles: ['admin', 'integration'],
    summary: 'A segment and how many are in it',
    params: segmentParams,
    status: 200,
    response: segmentOutput.extend({ members: z.number().int() }),
    handler: async ({ params }) => ({ ...presentSegment(await segments.get(params.key)), members: await segments.size(params.key) }),
  });
  api.add(app, {
    method: 'PUT',
    url: '/segments/:key',
    tag: 'personalization',
    roles: ['admin'],
    summary: 'A new rule (the segment is built again) or new texts',
    params: segmentParams,
    body: segmentUpdate,
    status: 200,
    response: segmentOutput,
    handler: async ({ params, body }) => presentSegment(await segments.update(params.key, body)),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/segments/:key',
    tag: 'personalization',
    roles: ['admin'],
    summary: 'Remove a segment and its memberships (409 segment_in_use while another rule names it)',
    params: segmentParams,
    status: 204,
    handler: ({ params }) => segments.remove(params.key),
  });
  api.add(app, {
    method: 'GET',
    url: '/segments/:key/customers',
    tag: 'personalization',
    roles: ['admin'],
    summary: "Audience: the segment's members whose grant of the gating purpose counts, ordered by id, with a cursor (the consent audience's shape). A page may hold fewer than `limit`; go on while `next` is set",
    params: segmentParams,
    query: audienceQuery,
    status: 200,
    response: z.object({ customers: z.array(z.string()), next: z.string().nullable() }),
    handler: ({ params, query }) => segments.audience(params.key, query.after, query.limit),
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id/segments',
    tag: 'personalization',
    roles: ['admin', 'agent', 'integration'],
    summary: "The customer's segments and why (the signal that qualified), while their grant of the gating purpose counts",
    params: z.strictObject({ id: z.uuid() }),
    status: 200,
    response: z.object({ segments: z.array(membershipOutput) }),
    handler: async ({ params }) => {
      await deps.customers.get(params.id);
      return { segments: (await personalization.segmentsOf(params.id)).map(presentMembership) };
    },
  });
}
