import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { text } from '../validation/text.ts';
import { resourceServerInputSchema, resourceServerListSchema, resourceServerOutputSchema, resourceServerPatchSchema } from './resource-server.schemas.ts';
import type { ResourceServers } from './resource-servers.ts';

const idParams = z.strictObject({ id: text().min(1).max(200) });
const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: text().max(200).optional(),
});

export function resourceServerRoutes(app: FastifyInstance, api: ApiRegistry, resourceServers: ResourceServers): void {
  api.add(app, {
    method: 'POST',
    url: '/resource-servers',
    tag: 'resource-servers',
    roles: ['admin'],
    summary: 'Register a resource server (an API taking access tokens for its identifier, RFC 8707)',
    body: resourceServerInputSchema,
    status: 201,
    response: resourceServerOutputSchema,
    handler: ({ body }) => resourceServers.register(body),
  });
  api.add(app, {
    method: 'GET',
    url: '/resource-servers',
    tag: 'resource-servers',
    roles: ['admin'],
    summary: 'List resource servers, ordered by id',
    query: listQuery,
    status: 200,
    response: resourceServerListSchema,
    handler: async ({ query }) => ({ resource_servers: await resourceServers.list(query.limit, query.after) }),
  });
  api.add(app, {
    method: 'GET',
    url: '/resource-servers/:id',
    tag: 'resource-servers',
    roles: ['admin'],
    summary: 'Read a resource server',
    params: idParams,
    status: 200,
    response: resourceServerOutputSchema,
    handler: ({ params }) => resourceServers.get(params.id),
  });
  api.add(app, {
    method: 'PATCH',
    url: '/resource-servers/:id',
    tag: 'resource-servers',
    roles: ['admin'],
    summary: 'Change a resource server (its identifier stays)',
    params: idParams,
    body: resourceServerPatchSchema,
    status: 200,
    response: resourceServerOutputSchema,
    handler: ({ params, body }) => resourceServers.update(params.id, body),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/resource-servers/:id',
    tag: 'resource-servers',
    roles: ['admin'],
    summary: 'Delete a resource server; tokens for it are no longer issued',
    params: idParams,
    status: 204,
    handler: ({ params }) => resourceServers.remove(params.id),
  });
}
