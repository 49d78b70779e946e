import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { emailSchema } from '../customers/customer.schemas.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import { nameText, text } from '../validation/text.ts';
import type { Guest, Guests } from './guests.ts';

const name = nameText().trim().min(1).max(100);
const guestInput = z.strictObject({
  email: emailSchema,
  given_name: name.optional(),
  family_name: name.optional(),
  order_references: z.array(text().trim().min(1).max(100)).max(20).default([]).describe("The shop's order numbers, kept with the account once claimed"),
  consents: z
    .array(z.strictObject({ purpose: text().regex(/^[a-z][a-z0-9_]{1,63}$/), version: z.number().int().min(1), decision: z.enum(['granted', 'declined']) }))
    .max(20)
    .default([])
    .describe('Choices made at checkout, at the purpose versions shown; recorded when the guest is claimed'),
  locale: z.enum(['sv', 'en']).default('sv').describe('The language the checkout showed the consent texts in'),
  client_id: text().min(1).max(200).optional().describe('The shop'),
});
const guestOutput = z.object({
  id: z.string(),
  email: z.string(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  order_references: z.array(z.string()),
  status: z.enum(['unclaimed', 'claimed', 'expired']),
  claimed_by: z.string().nullable(),
  expires_at: z.number().int(),
});
const present = (guest: Guest, now = Date.now()) => ({
  id: guest.id,
  email: guest.email,
  given_name: guest.givenName,
  family_name: guest.familyName,
  order_references: guest.orderReferences,
  status: guest.claimedBy ? ('claimed' as const) : guest.expiresAt <= now ? ('expired' as const) : ('unclaimed' as const),
  claimed_by: guest.claimedBy,
  expires_at: Math.floor(guest.expiresAt / 1000),
});

/** `/guests`: guest checkout, claimed later as an account; `/customers/{id}/orders`: the orders an account carries. */
export function guestRoutes(app: FastifyInstance, api: ApiRegistry, guests: Guests): void {
  api.add(app, {
    method: 'POST',
    url: '/guests',
    tag: 'guests',
    roles: ['admin', 'integration'],
    summary: 'Record a guest checkout; send the person to an authorization request with prompt=create&guest={claim_token}&login_hint={email} to claim it',
    body: guestInput,
    status: 201,
    response: guestOutput.extend({ claim_token: z.string().describe('Shown once; put it in the claim link (order e-mail, end of checkout)') }),
    handler: async ({ body }) => {
      const { guest, token } = await guests.create(body);
      return { ...present(guest), claim_token: token };
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/guests/:id',
    tag: 'guests',
    roles: ['admin', 'integration', 'agent'],
    summary: 'A guest, and whether (and by whom) it was claimed',
    params: z.strictObject({ id: z.uuid() }),
    status: 200,
    response: guestOutput,
    handler: async ({ params }) => present(await guests.get(params.id)),
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id/orders',
    tag: 'guests',
    roles: ['admin', 'agent', 'privacy_officer', 'integration'],
    summary: 'Order references the account carries (from claimed guests)',
    params: z.strictObject({ id: z.uuid() }),
    status: 200,
    response: z.object({ orders: z.array(z.object({ reference: z.string(), guest_id: z.string().nullable(), created_at: z.number().int() })) }),
    handler: async ({ params }) => ({ orders: (await guests.ordersOf(params.id)).map((order) => ({ reference: order.reference, guest_id: order.guestId, created_at: Math.floor(order.createdAt / 1000) })) }),
  });
}
