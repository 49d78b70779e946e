import { z } from 'zod';
import { brandKey } from '../validation/brand-key.ts';
import { nameText, text } from '../validation/text.ts';

/** RFC 7591 names for what the management API accepts about a client; unknown fields are refused. */
const uri = text().min(1).max(2000);

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;

const clientFields = {
  client_name: nameText().trim().min(1).max(200),
  redirect_uris: z.array(uri).max(50),
  post_logout_redirect_uris: z.array(uri).max(50),
  grant_types: z.array(z.enum(GRANT_TYPES)).min(1).max(4),
  response_types: z.array(z.enum(['code'])).max(1),
  token_endpoint_auth_method: z.enum(AUTH_METHODS),
  application_type: z.enum(['web', 'native']),
  scope: text()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'space-separated scope tokens')
    .max(1000),
  first_party: z.boolean(),
  brand: brandKey.nullable().describe('The brand (chain) the client belongs to: its consent purposes are asked there; null: the group'),
  reference_systems: z
    .array(text().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'a system key such as crm'))
    .max(50)
    .describe("Systems whose customer references this client may receive in the `references` claim (scope `references`)"),
};

export const clientInputSchema = z.strictObject({
  ...clientFields,
  redirect_uris: clientFields.redirect_uris.default([]),
  post_logout_redirect_uris: clientFields.post_logout_redirect_uris.default([]),
  grant_types: clientFields.grant_types.default(['authorization_code', 'refresh_token']),
  response_types: clientFields.response_types.optional(),
  token_endpoint_auth_method: clientFields.token_endpoint_auth_method.default('client_secret_basic'),
  application_type: clientFields.application_type.default('web'),
  scope: clientFields.scope.optional(),
  first_party: clientFields.first_party.default(false),
  brand: clientFields.brand.default(null),
  reference_systems: clientFields.reference_systems.default([]),
});
export type ClientInput = z.infer<typeof clientInputSchema>;

/** A patch names only what changes: no defaults fill in the fields it leaves out; `scope: null` lifts the restriction. */
export const clientPatchSchema = z.strictObject({ ...clientFields, scope: clientFields.scope.nullable() }).partial();
export type ClientPatch = z.infer<typeof clientPatchSchema>;

/** Stored metadata: the input with response_types settled. */
export type ClientMetadata = Omit<ClientInput, 'response_types'> & { response_types: Array<'code'> };

export const clientOutputSchema = z.object({
  client_id: z.string(),
  client_secret: z.string().optional(),
  client_id_issued_at: z.number().int(),
  client_name: z.string(),
  redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()),
  grant_types: z.array(z.string()),
  response_types: z.array(z.string()),
  token_endpoint_auth_method: z.string(),
  application_type: z.string(),
  scope: z.string().optional(),
  first_party: z.boolean(),
  brand: z.string().nullable(),
  reference_systems: z.array(z.string()),
  updated_at: z.number().int(),
});
export type ClientOutput = z.infer<typeof clientOutputSchema>;

export const clientListSchema = z.object({ clients: z.array(clientOutputSchema) });
