import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { signalInput, systemKey } from '../personalization/personalization.schemas.ts';
import { segmentKey } from '../personalization/segment-rules.ts';
import { brandKey } from '../validation/brand-key.ts';
import { nameText, text } from '../validation/text.ts';
import type { Store, Stores } from './stores.ts';
import type { Identified, Till } from './till.ts';

export const storeKey = text().regex(/^[a-z0-9][a-z0-9_-]{1,63}$/, 'a store key such as sthlm-city');
const storeParams = z.strictObject({ key: storeKey });
const storeInput = z.strictObject({
  name: nameText().trim().min(1).max(120),
  brand: brandKey.nullable().default(null).describe("The brand (chain) of the store: its tills take that brand's member codes only; null: the group's"),
  system: systemKey.describe('The data-map system that reports the store’s receipts (its till system)'),
  reference_systems: z.array(systemKey).max(20).default([]).describe("Systems whose customer references a till may learn (e.g. loyalty)"),
  segments: z.array(segmentKey).max(50).default([]).describe('Segments a till may learn the customer is in (while they consent to profiling)'),
});
const storeOutput = z.object({ key: z.string(), name: z.string(), brand: z.string().nullable(), system: z.string(), reference_systems: z.array(z.string()), segments: z.array(z.string()), created_at: z.number().int(), updated_at: z.number().int() });
const identifiedOutput = z.object({
  visit_id: z.string().describe('What the receipt of this customer names (for an hour)'),
  customer_id: z.string().describe("The customer's id: random, it says nothing about the person"),
  references: z.record(z.string(), z.string()).describe('Only the systems the store releases'),
  segments: z.array(z.string()).describe('Only the segments the store releases, while the customer consents to profiling'),
});
const memberCode = text().regex(/^\d{12}$/, '12 digits, as the QR code or the hand scanner reads them');
const phone = text().regex(/^\+[1-9]\d{6,14}$/, 'E.164, such as +46701234567');

const presentStore = (store: Store) => ({ key: store.key, name: store.name, brand: store.brand, system: store.system, reference_systems: store.referenceSystems, segments: store.segments, created_at: Math.floor(store.createdAt / 1000), updated_at: Math.floor(store.updatedAt / 1000) });
const presentIdentified = (found: Identified) => ({ visit_id: found.visitId, customer_id: found.customerId, references: found.references, segments: found.segments });

/** `/stores` (admin: the group's stores and what their tills learn) and `/store/…` (a till: identify the customer, post the receipt). */
export function inStoreRoutes(app: FastifyInstance, api: ApiRegistry, deps: { stores: Stores; till: Till }): void {
  const { stores, till } = deps;
  api.add(app, {
    method: 'PUT',
    url: '/stores/:key',
    tag: 'in-store',
    roles: ['admin'],
    summary: "Register or change a store: its brand, the data-map system reporting its receipts, and what its tills may learn of a customer",
    params: storeParams,
    body: storeInput,
    status: 200,
    response: storeOutput,
    handler: async ({ params, body }) => presentStore(await stores.put(params.key, { name: body.name, brand: body.brand, system: body.system, referenceSystems: body.reference_systems, segments: body.segments })),
  });
  api.add(app, { method: 'GET', url: '/stores', tag: 'in-store', roles: ['admin'], summary: 'Every store', status: 200, response: z.object({ stores: z.array(storeOutput) }), handler: async () => ({ stores: (await stores.list()).map(presentStore) }) });
  api.add(app, { method: 'GET', url: '/stores/:key', tag: 'in-store', roles: ['admin'], summary: 'A store', params: storeParams, status: 200, response: storeOutput, handler: async ({ params }) => presentStore(await stores.get(params.key)) });
  api.add(app, { method: 'DELETE', url: '/stores/:key', tag: 'in-store', roles: ['admin'], summary: "Remove a store (409 store_has_tills while a till's key is not revoked)", params: storeParams, status: 204, handler: ({ params }) => stores.remove(params.key) });
  api.add(app, {
    method: 'POST',
    url: '/store/identify',
    tag: 'in-store',
    roles: ['store'],
    summary: 'A till scanned a member code: the customer, what the store releases, and the visit its receipt names. 404 code_unknown, 410 code_expired, 409 code_used, 403 code_other_brand; 429 after too many tries per till or network',
    body: z.strictObject({ code: memberCode }),
    status: 200,
    response: identifiedOutput,
    handler: async ({ body, operator, caller }) => presentIdentified(await till.identifyByCode(operator, body.code, caller.ip)),
  });
  api.add(app, {
    method: 'POST',
    url: '/store/phone-verifications',
    tag: 'in-store',
    roles: ['store'],
    summary: "The customer typed their phone number on the till's pad: a code by SMS (or a prompt in their account, channel portal). Answered alike whether or not the number is a customer's",
    body: z.strictObject({ phone_number: phone, channel: z.enum(['sms', 'portal']).default('sms') }),
    status: 201,
    response: z.object({ verification_id: z.string() }),
    handler: async ({ body, operator }) => ({ verification_id: (await till.startByPhone(operator, body.phone_number, body.channel)).verificationId }),
  });
  api.add(app, {
    method: 'POST',
    url: '/store/phone-verifications/:id/check',
    tag: 'in-store',
    roles: ['store'],
    summary: 'The code the customer read from their phone (none for a prompt they approved): the customer, as identify answers. A wrong code counts like any code',
    params: z.strictObject({ id: z.uuid() }),
    body: z.strictObject({ code: text().regex(/^\d{6}$/).optional() }),
    status: 200,
    response: identifiedOutput,
    handler: async ({ params, body, operator, caller }) => presentIdentified(await till.checkByPhone(operator, params.id, body.code, caller.ip)),
  });
  api.add(app, {
    method: 'POST',
    url: '/store/receipts',
    tag: 'in-store',
    roles: ['store'],
    summary: "A receipt of the customer identified at this store: an order on their account, and a purchase event kept only while they consent to profiling",
    body: z.strictObject({ visit_id: z.uuid(), receipt_id: text().trim().min(1).max(100), occurred_at: signalInput.shape.occurred_at, items: signalInput.shape.items }),
    status: 201,
    response: z.object({ order: z.string(), event: z.object({ accepted: z.number().int(), duplicate: z.number().int(), dropped: z.object({ no_consent: z.number().int(), past_retention: z.number().int() }) }) }),
    handler: ({ body, operator }) => till.receipt(operator, { visitId: body.visit_id, receiptId: body.receipt_id, occurredAt: body.occurred_at, items: body.items }),
  });
}
