import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { connectionCreate, connectionOutput, connectionPatch, PRESET_LIST } from './connection.schemas.ts';
import type { Connection, Connections } from './connections.ts';

const keyParams = z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/) });

/** `/connections`: upstream identity providers customers may sign in with. */
export function connectionRoutes(app: FastifyInstance, api: ApiRegistry, connections: Connections): void {
  const present = (connection: Connection) => ({
    key: connection.key,
    kind: connection.kind,
    name: connection.name,
    issuer: connection.issuer,
    client_id: connection.clientId,
    has_client_secret: connection.hasClientSecret,
    scopes: connection.scopes,
    trust_email_verified: connection.trustEmailVerified,
    enabled: connection.enabled,
    clients: connection.clients,
    brands: connection.brands,
    // The kind's own settings, under its key.
    ...Object.fromEntries(Object.entries(connection.settings).filter(([, settings]) => settings)),
    redirect_uri: connections.redirectUriFor(connection.key),
    version: connection.version,
    created_at: Math.floor(connection.createdAt / 1000),
    updated_at: Math.floor(connection.updatedAt / 1000),
  });
  api.add(app, {
    method: 'POST',
    url: '/connections',
    tag: 'connections',
    roles: ['admin'],
    sensitive: true,
    summary: `Add an upstream identity provider: any OpenID provider (checked by discovery) or a preset (${PRESET_LIST}); register \`redirect_uri\` there`,
    body: connectionCreate,
    status: 201,
    response: connectionOutput,
    handler: async ({ body }) => present(await connections.create(body)),
  });
  api.add(app, {
    method: 'GET',
    url: '/connections',
    tag: 'connections',
    roles: ['admin'],
    summary: 'Every connection',
    status: 200,
    response: z.object({ connections: z.array(connectionOutput) }),
    handler: async () => ({ connections: (await connections.list()).map(present) }),
  });
  api.add(app, {
    method: 'GET',
    url: '/connections/:key',
    tag: 'connections',
    roles: ['admin'],
    summary: 'One connection',
    params: keyParams,
    status: 200,
    response: connectionOutput,
    handler: async ({ params }) => present(await connections.get(params.key)),
  });
  api.add(app, {
    method: 'PATCH',
    url: '/connections/:key',
    tag: 'connections',
    roles: ['admin'],
    sensitive: true,
    summary: 'Change a connection (name, client, scopes, trust in its e-mail verification, enabled, the clients and brands that offer it, kind settings)',
    params: keyParams,
    body: connectionPatch,
    status: 200,
    response: connectionOutput,
    handler: async ({ params, body }) => present(await connections.update(params.key, body)),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/connections/:key',
    tag: 'connections',
    roles: ['admin'],
    summary: 'Remove a connection nobody signs in with (409 otherwise: disable it instead)',
    params: keyParams,
    status: 204,
    handler: async ({ params }) => connections.remove(params.key),
  });
}
