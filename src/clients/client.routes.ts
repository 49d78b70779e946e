import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { text } from '../validation/text.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import { clientInputSchema, clientListSchema, clientOutputSchema, clientPatchSchema } from './client.schemas.ts';
import type { Clients } from './clients.ts';

const idParams = z.strictObject({ id: text().min(1).max(200) });
const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: text().max(200).optional(),
});

export function clientRoutes(app: FastifyInstance, api: ApiRegistry, clients: Clients): void {
  api.add(app, {
    method: 'POST',
    url: '/clients',
    tag: 'clients',
    roles: ['admin'],
    sensitive: true,
    summary: 'Register an OIDC client (RFC 7591 metadata). A confidential client gets client_secret once.',
    body: clientInputSchema,
    status: 201,
    response: clientOutputSchema,
    handler: ({ body }) => clients.register(body),
  });
  api.add(app, {
    method: 'GET',
    url: '/clients',
    tag: 'clients',
    roles: ['admin'],
    summary: 'List clients, ordered by client_id',
    query: listQuery,
    status: 200,
    response: clientListSchema,
    handler: async ({ query }) => ({ clients: await clients.list(query.limit, query.after) }),
  });
  api.add(app, {
    method: 'GET',
    url: '/clients/:id',
    tag: 'clients',
    roles: ['admin'],
    summary: 'Read a client',
    params: idParams,
    status: 200,
    response: clientOutputSchema,
    handler: ({ params }) => clients.get(params.id),
  });
  api.add(app, {
    method: 'PATCH',
    url: '/clients/:id',
    tag: 'clients',
    roles: ['admin'],
    sensitive: true,
    summary: 'Change client metadata',
    params: idParams,
    body: clientPatchSchema,
    status: 200,
    response: clientOutputSchema,
    handler: ({ params, body }) => clients.update(params.id, body),
  });
  api.add(app, {
    method: 'POST',
    url: '/clients/:id/secret',
    tag: 'clients',
    roles: ['admin'],
    sensitive: true,
    summary: 'A new client_secret for a confidential client, shown this once; the old secret is refused from now on (409 public_client for a public client)',
    params: idParams,
    status: 200,
    response: clientOutputSchema.extend({ client_secret: z.string().describe('Store it now; it cannot be read again') }),
    handler: ({ params }) => clients.newSecret(params.id),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/clients/:id',
    tag: 'clients',
    roles: ['admin'],
    sensitive: true,
    summary: 'Delete a client',
    params: idParams,
    status: 204,
    handler: ({ params }) => clients.remove(params.id),
  });
}
