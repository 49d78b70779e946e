import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { purposeKey } from '../consent/consent.schemas.ts';
import { nameText, text } from '../validation/text.ts';
import type { ApiKey, ApiKeys } from './api-keys.ts';
import { ROLES } from './operator-roles.ts';

const systemKey = text().regex(/^[a-z][a-z0-9_]{1,63}$/, 'a system key such as crm');
export const keyCreate = z.strictObject({
  name: nameText().trim().min(1).max(100).describe('Who or what uses it: "Kundtjänst Malmö", "CRM sync"'),
  role: z.enum(ROLES),
  systems: z.array(systemKey).min(1).max(50).nullable().default(null).describe('integration keys: the systems whose customer references the key may write'),
  consent_purposes: z
    .array(purposeKey)
    .min(1)
    .max(100)
    .nullable()
    .default(null)
    .describe('integration keys only: the consent capability, the purposes a consent-management platform may record decisions for through the key; null: none'),
  store: text().regex(/^[a-z0-9][a-z0-9_-]{1,63}$/, 'a store key such as sthlm-city').nullable().default(null).describe('store keys (a till): the store it is a till of'),
});
const keyOutput = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  systems: z.array(z.string()).nullable(),
  consent_purposes: z.array(z.string()).nullable(),
  store: z.string().nullable(),
  created_at: z.number().int(),
  last_used_at: z.number().int().nullable(),
  revoked_at: z.number().int().nullable(),
});
const idParams = z.strictObject({ id: z.string().regex(/^pvk_[A-Za-z0-9_-]{16}$/) });

const present = (key: ApiKey) => ({
  id: key.id,
  name: key.name,
  role: key.role,
  systems: key.systems,
  consent_purposes: key.consentPurposes,
  store: key.store,
  created_at: Math.floor(key.createdAt / 1000),
  last_used_at: key.lastUsedAt === null ? null : Math.floor(key.lastUsedAt / 1000),
  revoked_at: key.revokedAt === null ? null : Math.floor(key.revokedAt / 1000),
});

/** `/api-keys`: management API keys with a role; the key itself is in the creation answer only. */
export function apiKeyRoutes(app: FastifyInstance, api: ApiRegistry, keys: ApiKeys): void {
  api.add(app, {
    method: 'POST',
    url: '/api-keys',
    tag: 'api-keys',
    roles: ['admin'],
    sensitive: true,
    summary: 'Create a key with a role (admin, agent, privacy_officer, integration); `key` is shown this once',
    body: keyCreate,
    status: 201,
    response: keyOutput.extend({ key: z.string().describe('Bearer value; store it now, it cannot be read again') }),
    handler: async ({ body }) => {
      const created = await keys.create({ name: body.name, role: body.role, systems: body.systems, consentPurposes: body.consent_purposes, store: body.store });
      return { ...present(created), key: created.key };
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/api-keys',
    tag: 'api-keys',
    roles: ['admin'],
    summary: 'Every key, revoked ones included (never their secrets)',
    status: 200,
    response: z.object({ api_keys: z.array(keyOutput) }),
    handler: async () => ({ api_keys: (await keys.list()).map(present) }),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/api-keys/:id',
    tag: 'api-keys',
    roles: ['admin'],
    sensitive: true,
    summary: 'Revoke a key: refused from the next request on',
    params: idParams,
    status: 200,
    response: keyOutput,
    handler: async ({ params }) => present(await keys.revoke(params.id)),
  });
}
