import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import type { Operator } from '../operators/operator-roles.ts';
import { text } from '../validation/text.ts';
import type { CustomerReferences } from './customer-references.ts';

const systemParams = z.strictObject({ id: z.uuid(), system: text().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'a system key such as crm') });
const referenceOutput = z.object({ system: z.string(), reference: z.string(), created_at: z.number().int() });
const present = (reference: { system: string; reference: string; createdAt: number }) => ({ system: reference.system, reference: reference.reference, created_at: Math.floor(reference.createdAt / 1000) });

/** An integration writes only the references of the systems its key names. */
function speaksFor(operator: Operator, system: string): void {
  if (operator.systems !== null && !operator.roles.includes('admin') && !operator.systems.includes(system)) {
    throw new DomainError('forbidden', 403, `This key does not speak for the system ${system}`);
  }
}

function readable(operator: Operator, system: string): boolean {
  return operator.roles.some((role) => role !== 'integration') || (operator.systems ?? []).includes(system);
}

/** `/customers/{id}/references/{system}`: the customer's id in another system. */
export function customerReferenceRoutes(app: FastifyInstance, api: ApiRegistry, references: CustomerReferences): void {
  api.add(app, {
    method: 'PUT',
    url: '/customers/:id/references/:system',
    tag: 'customers',
    roles: ['admin', 'integration'],
    summary: "Set the customer's id in a system (409 when another customer has it)",
    params: systemParams,
    body: z.strictObject({ reference: text().trim().min(1).max(200) }),
    status: 200,
    response: referenceOutput,
    handler: async ({ params, body, operator }) => {
      speaksFor(operator, params.system);
      return present(await references.set(params.id, params.system, body.reference));
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id/references',
    tag: 'customers',
    roles: ['admin', 'agent', 'privacy_officer', 'integration'],
    summary: "The customer's ids in other systems",
    params: z.strictObject({ id: z.uuid() }),
    status: 200,
    response: z.object({ references: z.array(referenceOutput) }),
    // An integration reads only the references of the systems it speaks for.
    handler: async ({ params, operator }) => ({ references: (await references.list(params.id)).filter((reference) => readable(operator, reference.system)).map(present) }),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/customers/:id/references/:system',
    tag: 'customers',
    roles: ['admin', 'integration'],
    summary: "Forget the customer's id in a system",
    params: systemParams,
    status: 204,
    handler: async ({ params, operator }) => {
      speaksFor(operator, params.system);
      return references.remove(params.id, params.system);
    },
  });
}
