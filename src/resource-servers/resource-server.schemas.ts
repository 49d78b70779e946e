import { z } from 'zod';
import { text } from '../validation/text.ts';

/** Bounds of an access token's lifetime for a resource server, in seconds: a minute to a day. */
export const MIN_ACCESS_TOKEN_TTL = 60;
export const MAX_ACCESS_TOKEN_TTL = 24 * 3600;
/** The longest identifier a resource server may have (and so the longest `resource` looked up). */
export const MAX_IDENTIFIER_LENGTH = 1000;

/** An RFC 6749 scope token (printable ASCII but space, `"` and `\`). */
const scopeToken = text().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope token (printable ASCII, no spaces, quotes or backslashes)').max(200);

/** A scope is given as its token alone, or with a description for people reading the registration. */
const scopeInput = z.union([
  scopeToken.transform((value) => ({ value })),
  z.strictObject({ value: scopeToken, description: text().trim().min(1).max(500).optional() }),
]);

const fields = {
  identifier: text().min(1).max(MAX_IDENTIFIER_LENGTH).describe('The resource indicator (RFC 8707) and the tokens\' `aud`: an absolute https URI without fragment (http outside production)'),
  name: text().trim().min(1).max(200),
  scopes: z
    .array(scopeInput)
    .max(100)
    .refine((scopes) => new Set(scopes.map((scope) => scope.value)).size === scopes.length, 'scopes must not repeat')
    .describe('The scopes the resource server defines: scope tokens, or { value, description }'),
  token_format: z.enum(['jwt', 'opaque']).describe('jwt: RFC 9068 JWT access tokens the API verifies offline; opaque: introspected'),
  access_token_ttl: z.number().int().min(MIN_ACCESS_TOKEN_TTL).max(MAX_ACCESS_TOKEN_TTL).describe('Access token lifetime in seconds (60 – 86400)'),
  allowed_clients: z
    .array(text().min(1).max(200))
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, 'client ids must not repeat')
    .describe('The client ids that may ask for tokens for this resource server'),
  introspection_clients: z
    .array(text().min(1).max(200))
    .max(50)
    .refine((ids) => new Set(ids).size === ids.length, 'client ids must not repeat')
    .describe("The client ids (the API's own) that may introspect any token issued for this resource server"),
};

export const resourceServerInputSchema = z.strictObject({
  ...fields,
  scopes: fields.scopes.default([]),
  token_format: fields.token_format.default('jwt'),
  access_token_ttl: fields.access_token_ttl.default(3600),
  allowed_clients: fields.allowed_clients.default([]),
  introspection_clients: fields.introspection_clients.default([]),
});
export type ResourceServerInput = z.infer<typeof resourceServerInputSchema>;

/** A patch names only what changes; the identifier stays (tokens already carry it as `aud`). */
export const resourceServerPatchSchema = z.strictObject({ name: fields.name, scopes: fields.scopes, token_format: fields.token_format, access_token_ttl: fields.access_token_ttl, allowed_clients: fields.allowed_clients, introspection_clients: fields.introspection_clients }).partial();
export type ResourceServerPatch = z.infer<typeof resourceServerPatchSchema>;

export const resourceServerOutputSchema = z.object({
  id: z.string(),
  identifier: z.string(),
  name: z.string(),
  scopes: z.array(z.object({ value: z.string(), description: z.string().optional() })),
  token_format: z.enum(['jwt', 'opaque']),
  access_token_ttl: z.number().int(),
  allowed_clients: z.array(z.string()),
  introspection_clients: z.array(z.string()),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type ResourceServerOutput = z.infer<typeof resourceServerOutputSchema>;

export const resourceServerListSchema = z.object({ resource_servers: z.array(resourceServerOutputSchema) });
