import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OPERATOR } from '../events/audit-log.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import { nameText, text } from '../validation/text.ts';
import { ATTRIBUTE_ASK, ATTRIBUTE_TYPES } from './attribute-types.ts';
import { attributeChanges, type CustomerAttributes } from './customer-attributes.ts';
import type { AttributeDefinition, ProfileSchema } from './profile-schema.ts';

const keyParams = z.strictObject({ key: text().regex(/^[a-z][a-z0-9_]{1,63}$/, 'lowercase letters, digits and _ such as shoe_size') });
const label = nameText().trim().min(1).max(100);
const attributeInput = z.strictObject({
  type: z.enum(ATTRIBUTE_TYPES),
  labels: z.strictObject({ sv: label, en: label }),
  options: z.array(text().trim().min(1).max(100)).min(1).max(100).nullable().default(null).describe('enum: the allowed values'),
  ask: z.enum(ATTRIBUTE_ASK).default('never').describe('sign_up: asked once the account exists; when_requested: when a client asks for it; never: set through the API (and by the customer when customer_editable)'),
  customer_editable: z.boolean().nullable().optional().describe("The customer may change it on their profile page (/account/profile). Absent or null: yes, unless ask is never (built-in address and birthdate: yes)"),
});
const attributeOutput = z.object({
  key: z.string(),
  type: z.enum(ATTRIBUTE_TYPES),
  labels: z.object({ sv: z.string(), en: z.string() }),
  options: z.array(z.string()).nullable(),
  ask: z.enum(ATTRIBUTE_ASK),
  built_in: z.boolean().describe('address and birthdate: OpenID Connect claims of their own'),
  customer_editable: z.boolean(),
});
const present = (attribute: AttributeDefinition) => ({ key: attribute.key, type: attribute.type, labels: attribute.labels, options: attribute.options, ask: attribute.ask, built_in: attribute.builtIn, customer_editable: attribute.customerEditable });

/** `/profile-schema` and `/customers/{id}/attributes`: typed attributes beyond the core profile. */
export function profileRoutes(app: FastifyInstance, api: ApiRegistry, deps: { schema: ProfileSchema; attributes: CustomerAttributes }): void {
  api.add(app, {
    method: 'GET',
    url: '/profile-schema',
    tag: 'profile',
    roles: ['admin', 'agent', 'privacy_officer', 'integration'],
    summary: 'Every attribute a customer may have beyond the core fields, its type and when it is asked',
    status: 200,
    response: z.object({ attributes: z.array(attributeOutput) }),
    handler: async () => ({ attributes: (await deps.schema.list()).map(present) }),
  });
  api.add(app, {
    method: 'PUT',
    url: '/profile-schema/:key',
    tag: 'profile',
    roles: ['admin'],
    summary: 'Add or change an attribute (built-in ones keep their type)',
    params: keyParams,
    body: attributeInput,
    status: 200,
    response: attributeOutput,
    handler: async ({ params, body }) => present(await deps.schema.put(params.key, body)),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/profile-schema/:key',
    tag: 'profile',
    roles: ['admin'],
    summary: "Remove a custom attribute and every customer's value of it",
    params: keyParams,
    status: 204,
    handler: async ({ params }) => deps.schema.remove(params.key),
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id/attributes',
    tag: 'profile',
    roles: ['admin', 'agent', 'privacy_officer'],
    summary: "The customer's attribute values",
    params: z.strictObject({ id: z.uuid() }),
    status: 200,
    response: z.object({ attributes: z.record(z.string(), z.unknown()) }),
    handler: async ({ params }) => ({ attributes: await deps.attributes.of(params.id) }),
  });
  api.add(app, {
    method: 'PATCH',
    url: '/customers/:id/attributes',
    tag: 'profile',
    roles: ['admin', 'integration'],
    summary: 'Set attribute values (null removes one); each is checked against its type: unknown_attribute or validation_failed',
    params: z.strictObject({ id: z.uuid() }),
    body: attributeChanges,
    status: 200,
    response: z.object({ attributes: z.record(z.string(), z.unknown()) }),
    handler: async ({ params, body }) => ({ attributes: await deps.attributes.set(params.id, body, OPERATOR) }),
  });
}
