import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import type { DataMap } from './data-map.ts';
import { systemCreate, systemKey, systemOutput, systemPatch } from './data-system.schemas.ts';
import type { DataSystem, DataSystems } from './data-systems.ts';

const keyParams = z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/) });

const presentSystem = (system: DataSystem & { secret?: string }) => ({
  key: system.key,
  name: system.name,
  categories: system.categories,
  legal_basis: system.legalBasis,
  retention: system.retention,
  access: system.access,
  endpoint: system.endpoint,
  checklist: system.checklist,
  identified_by: system.identifiedBy,
  ...(system.secret ? { secret: system.secret } : {}),
  version: system.version,
  created_at: Math.floor(system.createdAt / 1000),
  updated_at: Math.floor(system.updatedAt / 1000),
});

const unmappedEntry = z.object({
  system: z.string(),
  reference: z.string().optional().describe("One customer: the customer's id in that system"),
  customer_count: z.number().int().optional().describe('All customers: how many have a reference in it'),
});

const mapEntry = z.object({
  system: z.string(),
  name: z.string(),
  categories: z.array(z.string()),
  legal_basis: z.string(),
  retention: systemOutput.shape.retention,
  access: systemOutput.shape.access.describe('builtin (Portvakt itself), api, callback or manual: how a privacy request reaches the system'),
  identified_by: z.array(z.string()).describe("How the system knows a customer: what its privacy requests carry (reference, email, phone)"),
  reference: z.string().nullable().optional().describe("One customer: the customer's id in the system (null when none is known)"),
  customer_count: z.number().int().optional().describe('All customers: how many customers the system holds data of (Portvakt: every customer; others: those with a reference in it)'),
});

const recipientEntry = z.object({
  kind: z.string().describe('store, saml_service_provider'),
  key: z.string(),
  name: z.string(),
  receives: z.array(z.string()),
  system: z.string().nullable(),
  releases: z.array(z.string()).optional().describe("What is released, by name (a SAML service provider's attributes)"),
});

const entry = (system: DataSystem) => ({ system: system.key, name: system.name, categories: system.categories, legal_basis: system.legalBasis, retention: system.retention, access: system.access, identified_by: system.identifiedBy });

/** `/systems` (the data map's entries) and `/data-map` (which systems hold which categories, for one customer or all). */
export function dataMapRoutes(app: FastifyInstance, api: ApiRegistry, deps: { systems: DataSystems; dataMap: DataMap }): void {
  api.add(app, {
    method: 'POST',
    url: '/systems',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    sensitive: true,
    summary: 'Put a system holding customer data on the data map (the signing secret is returned once)',
    body: systemCreate,
    status: 201,
    response: systemOutput,
    handler: async ({ body }) => presentSystem(await deps.systems.create(body)),
  });
  api.add(app, {
    method: 'GET',
    url: '/systems',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'Every system on the data map, Portvakt itself first',
    status: 200,
    response: z.object({ systems: z.array(systemOutput) }),
    handler: async () => ({ systems: (await deps.systems.list()).map(presentSystem) }),
  });
  api.add(app, {
    method: 'GET',
    url: '/systems/:key',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'One system',
    params: keyParams,
    status: 200,
    response: systemOutput,
    handler: async ({ params }) => presentSystem(await deps.systems.get(params.key)),
  });
  api.add(app, {
    method: 'PATCH',
    url: '/systems/:key',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'Change what the data map says about a system',
    params: z.strictObject({ key: systemKey }),
    body: systemPatch,
    status: 200,
    response: systemOutput,
    handler: async ({ params, body }) => presentSystem(await deps.systems.update(params.key, body)),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/systems/:key',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'Take a system off the data map (409 while it has open privacy tasks or customers have references in it)',
    params: keyParams,
    status: 204,
    handler: async ({ params }) => deps.systems.remove(params.key),
  });
  api.add(app, {
    method: 'GET',
    url: '/data-map',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'Which systems hold which categories of customer data, on which legal basis, for how long and how they are reached: for one customer (with their reference in each) or for all (with how many customers each holds)',
    query: z.strictObject({ customer_id: z.uuid().optional() }),
    status: 200,
    response: z.object({
      customer_id: z.string().nullable(),
      systems: z.array(mapEntry),
      unmapped: z.array(unmappedEntry).describe('References in systems that are not on the map (kept from before references were limited to mapped systems): add each system to the map, or remove the references'),
      recipients: z.array(recipientEntry).describe("Who receives customer data from Portvakt by a release setting (a store's tills, a SAML service provider's attribute release): what they receive, and the system on the map that stands for them"),
    }),
    handler: async ({ query }) => {
      if (query.customer_id) {
        const held = await deps.dataMap.forCustomer(query.customer_id);
        return { customer_id: query.customer_id, systems: held.systems.map(({ system, reference }) => ({ ...entry(system), reference })), unmapped: held.unmapped, recipients: await deps.dataMap.recipients() };
      }
      const overview = await deps.dataMap.overview();
      return {
        recipients: await deps.dataMap.recipients(),
        customer_id: null,
        systems: overview.systems.map(({ system, customerCount }) => ({ ...entry(system), customer_count: customerCount })),
        unmapped: overview.unmapped.map(({ system, customerCount }) => ({ system, customer_count: customerCount })),
      };
    },
  });
}
