import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { customerCreateSchema, customerListSchema, customerOutputSchema, customerPatchSchema, customerQuerySchema } from './customer.schemas.ts';
import type { EmailVerification } from '../flows/email-verification.ts';
import { OPERATOR } from '../events/audit-log.ts';
import { presentCustomer, type CustomerService } from './customer.service.ts';

const idParams = z.strictObject({ id: z.uuid() });

export function customerRoutes(app: FastifyInstance, api: ApiRegistry, customers: CustomerService, verification: EmailVerification): void {
  api.add(app, {
    method: 'POST',
    url: '/customers',
    tag: 'customers',
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
    summary: 'List customers by id (limit, after), or find one by e-mail address (exact, case-insensitive)',
    query: customerQuerySchema,
    status: 200,
    response: customerListSchema,
    handler: async ({ query }) => {
      if (query.email === undefined) return { customers: (await customers.list(query.limit, query.after)).map(presentCustomer) };
      const found = await customers.findByEmail(query.email);
      return { customers: found ? [presentCustomer(found)] : [] };
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id',
    tag: 'customers',
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
    url: '/customers/:id',
    tag: 'customers',
    summary: 'Delete a customer and their credentials',
    params: idParams,
    status: 204,
    handler: ({ params }) => customers.remove(params.id, OPERATOR),
  });
}
