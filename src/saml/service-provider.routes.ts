import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { text } from '../validation/text.ts';
import { serviceProviderInput, serviceProviderOutput, serviceProviderPatch } from './service-provider.schemas.ts';
import type { ServiceProviders } from './service-providers.ts';

const idParams = z.strictObject({ id: text().regex(/^saml-[A-Za-z0-9_-]{1,64}$/, 'a service provider id such as saml-…') });
const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: text().max(200).optional(),
});

/** `/saml/service-providers`: the SAML service providers Portvakt signs customers in to (admin). */
export function serviceProviderRoutes(app: FastifyInstance, api: ApiRegistry, providers: ServiceProviders): void {
  api.add(app, {
    method: 'POST',
    url: '/saml/service-providers',
    tag: 'saml',
    roles: ['admin'],
    sensitive: true,
    summary: 'Register a SAML service provider: its metadata XML, or its entity id and ACS URLs (and certificate when it signs its requests); the attributes it may receive',
    body: serviceProviderInput,
    status: 201,
    response: serviceProviderOutput,
    handler: ({ body }) => providers.register(body),
  });
  api.add(app, {
    method: 'GET',
    url: '/saml/service-providers',
    tag: 'saml',
    roles: ['admin'],
    summary: 'List SAML service providers, ordered by id',
    query: listQuery,
    status: 200,
    response: z.object({ service_providers: z.array(serviceProviderOutput) }),
    handler: async ({ query }) => ({ service_providers: await providers.list(query.limit, query.after) }),
  });
  api.add(app, {
    method: 'GET',
    url: '/saml/service-providers/:id',
    tag: 'saml',
    roles: ['admin'],
    summary: 'Read a SAML service provider',
    params: idParams,
    status: 200,
    response: serviceProviderOutput,
    handler: ({ params }) => providers.get(params.id),
  });
  api.add(app, {
    method: 'PATCH',
    url: '/saml/service-providers/:id',
    tag: 'saml',
    roles: ['admin'],
    sensitive: true,
    summary: 'Change a SAML service provider (only the fields named)',
    params: idParams,
    body: serviceProviderPatch,
    status: 200,
    response: serviceProviderOutput,
    handler: ({ params, body }) => providers.update(params.id, body),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/saml/service-providers/:id',
    tag: 'saml',
    roles: ['admin'],
    sensitive: true,
    summary: 'Delete a SAML service provider',
    params: idParams,
    status: 204,
    handler: ({ params }) => providers.remove(params.id),
  });
}
