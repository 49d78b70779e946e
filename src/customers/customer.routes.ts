import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import type { CustomerReferences } from './customer-references.ts';
import { customerCreateSchema, customerListSchema, customerOutputSchema, customerPatchSchema, customerQuerySchema } from './customer.schemas.ts';
import type { EmailVerification } from '../flows/email-verification.ts';
import { OPERATOR } from '../events/audit-log.ts';
import type { CustomerSearch } from './customer-search.ts';
import { presentCustomer, type Customers } from './customers.ts';

const idParams = z.strictObject({ id: z.uuid() });
const LIST_LIMIT = 100;

export interface CustomerRouteDeps {
  customers: Customers;
  search: CustomerSearch;
  verification: EmailVerification;
  references: CustomerReferences;
}

export function customerRoutes(app: FastifyInstance, api: ApiRegistry, { customers, search, verification, references }: CustomerRouteDeps): void {
  const byReference = async (ref: string) => {
    const split = ref.indexOf(':');
    const id = await references.customerWith(ref.slice(0, split), ref.slice(split + 1));
    return id ? customers.findById(id) : undefined;
  };
  api.add(app, {
    method: 'POST',
    url: '/customers',
    tag: 'customers',
    roles: ['admin'],
    summary: 'Create a customer with an e-mail address, an optional password and profile fields',
    body: customerCreateSchema,
    status: 201,
    response: customerOutputSchema,
    handler: async ({ body }) => presentCustomer(await customers.create(body, OPERATOR)),
  });
  api.add(app, {
    method: 'GET',
    url: '/customers',
    tag: 'customers',
    roles: ['admin', 'agent', 'privacy_officer'],
    summary:
      'Find a customer by e-mail address (exact, case-insensitive), phone number or reference in another system (ref=crm:4711), or customers by the start of their names (name=ann ander, a page at a time: limit, after=next); admin only: list all by id (limit, after)',
    query: customerQuerySchema,
    status: 200,
    response: customerListSchema,
    handler: async ({ query, operator }) => {
      const lookups = [query.email, query.phone, query.ref, query.name].filter((value) => value !== undefined);
      if (lookups.length > 1) throw new DomainError('validation_failed', 400, 'Find by one of email, phone, ref or name');
      if (query.name !== undefined) {
        const page = await search.byName(query.name, query.limit, query.after);
        return { customers: page.customers.map(presentCustomer), next: page.next };
      }
      if (lookups.length === 0) {
        // Agents and privacy officers find the person they deal with; exporting the list is an admin's job.
        if (!operator.roles.includes('admin')) throw new DomainError('forbidden', 403, 'Find a customer by email, phone, ref or name');
        if (query.after !== undefined && !z.uuid().safeParse(query.after).success) throw new DomainError('validation_failed', 400, 'after must be a customer id (the last of the previous page)');
        const limit = query.limit ?? LIST_LIMIT;
        const listed = await customers.list(limit + 1, query.after);
        const page = listed.slice(0, limit);
        return { customers: page.map(presentCustomer), next: listed.length > limit ? page.at(-1)!.id : null };
      }
      const found = query.email !== undefined ? await customers.findByEmail(query.email) : query.phone !== undefined ? await customers.findByPhone(query.phone) : await byReference(query.ref!);
      return { customers: found ? [presentCustomer(found)] : [], next: null };
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id',
    tag: 'customers',
    roles: ['admin', 'agent', 'privacy_officer'],
    summary: 'Read a customer',
    params: idParams,
    status: 200,
    response: customerOutputSchema,
    handler: async ({ params }) => presentCustomer(await customers.get(params.id)),
  });
  api.add(app, {
    method: 'PATCH',
    url: '/customers/:id',
    tag: 'customers',
    roles: ['admin'],
    sensitive: true,
    summary:
      'Change a customer; null clears a profile field. A new e-mail address is unverified (unless email_verified is given) and gets a verification code and link; a new password ends every session and token',
    params: idParams,
    body: customerPatchSchema,
    status: 200,
    response: customerOutputSchema,
    handler: async ({ params, body }) => presentCustomer(await customers.update(params.id, body, OPERATOR)),
  });
  api.add(app, {
    method: 'POST',
    url: '/customers/:id/email-verification',
    tag: 'customers',
    roles: ['admin', 'agent'],
    summary: 'Send the customer a code and a link that verify their current e-mail address (409 when already verified)',
    params: idParams,
    status: 202,
    response: z.object({ sent_to: z.string() }),
    handler: async ({ params }) => {
      const customer = await customers.get(params.id);
      await verification.requestTrusted(customer);
      return { sent_to: customer.email };
    },
  });
  api.add(app, {
    method: 'DELETE',
    url: '/customers/:id/sessions',
    tag: 'customers',
    // Customer service signs a customer out when they call about a lost phone or a stranger's sign-in.
    roles: ['admin', 'agent'],
    summary: "Sign the customer out everywhere: every session, grant and refresh token ends, and each client of those sessions with a backchannel_logout_uri gets a logout token",
    params: idParams,
    status: 204,
    handler: ({ params }) => customers.endSessions(params.id, OPERATOR),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/customers/:id',
    tag: 'customers',
    roles: ['admin'],
    sensitive: true,
    summary: 'Delete a customer and their credentials',
    params: idParams,
    status: 204,
    handler: ({ params }) => customers.remove(params.id, OPERATOR),
  });
}
