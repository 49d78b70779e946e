import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { text } from '../validation/text.ts';
import type { CustomerReferences } from './customer-references.ts';

const systemParams = z.strictObject({ id: z.uuid(), system: text().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'a system key such as crm') });
const referenceOutput = z.object({ system: z.string(), reference: z.string(), created_at: z.number().int() });
const present = (reference: { system: string; reference: string; createdAt: number }) => ({ system: reference.system, reference: reference.reference, created_at: Math.floor(reference.createdAt / 1000) });

/** `/customers/{id}/references/{system}`: the customer's id in another system. */
export function customerReferenceRoutes(app: FastifyInstance, api: ApiRegistry, references: CustomerReferences): void {
  api.add(app, {
    method: 'PUT',
    url: '/customers/:id/references/:system',
    tag: 'customers',
    summary: "Set the customer's id in a system (409 when another customer has it)",
    params: systemParams,
    body: z.strictObject({ reference: text().trim().min(1).max(200) }),
    status: 200,
    response: referenceOutput,
    handler: async ({ params, body }) => present(await references.set(params.id, params.system, body.reference)),
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id/references',
    tag: 'customers',
    summary: "The customer's ids in other systems",
    params: z.strictObject({ id: z.uuid() }),
    status: 200,
    response: z.object({ references: z.array(referenceOutput) }),
    handler: async ({ params }) => ({ references: (await references.list(params.id)).map(present) }),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/customers/:id/references/:system',
    tag: 'customers',
    summary: "Forget the customer's id in a system",
    params: systemParams,
    status: 204,
    handler: async ({ params }) => references.remove(params.id, params.system),
  });
}
