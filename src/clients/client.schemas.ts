import { z } from 'zod';
import { brandKey } from '../validation/brand-key.ts';
import { nameText, text } from '../validation/text.ts';

/** RFC 7591 names for what the management API accepts about a client; unknown fields are refused. */
const uri = text().min(1).max(2000);

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
/** Stable codes for client settings that weaken safety, named in every client answer (client-safety.ts). */
export const CLIENT_WARNINGS = ['confidential_native_client', 'client_secret_post', 'http_redirect_uri'] as const;

/**
 * OpenID Connect Back-Channel Logout 1.0 §2.2: an absolute http(s) URL, which may carry a query
 * but no fragment (whether production needs https and a public address is the URL policy's).
 */
const logoutUri = uri.refine((value) => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hash === '' && !value.includes('#');
}, 'an absolute http(s) URL without a fragment');

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
  segments: z
    .array(text().regex(/^[a-z][a-z0-9_]{1,63}$/, 'a segment key such as recent_fridge'))
    .max(50)
    .describe('Segments this client may learn a customer is in, in the `segments` claim (scope `segments`), while the customer consents to profiling'),
  require_pushed_authorization_requests: z.boolean().describe('The client must push its authorization requests (PAR, RFC 9126); a plain request at /auth is refused'),
  dpop_bound_access_tokens: z.boolean().describe('The client must send a DPoP proof (RFC 9449) with every token request; its tokens are bound to the proof key'),
  backchannel_logout_uri: logoutUri.describe('Where a signed logout token is POSTed when a session the client took part in ends (Back-Channel Logout 1.0)'),
  backchannel_logout_session_required: z.boolean().describe('Whether the logout token (and the ID tokens) must carry `sid`'),
};

export const clientInputSchema = z.strictObject({
  ...clientFields,
  redirect_uris: clientFields.redirect_uris.default([]),
  post_logout_redirect_uris: clientFields.post_logout_redirect_uris.default([]),
  grant_types: clientFields.grant_types.default(['authorization_code', 'refresh_token']),
  response_types: clientFields.response_types.optional(),
  token_endpoint_auth_method: clientFields.token_endpoint_auth_method
    .optional()
    .describe('Default: none (public, no secret) for a native client, client_secret_basic for a web client'),
  application_type: clientFields.application_type.default('web'),
  scope: clientFields.scope.optional(),
  first_party: clientFields.first_party.default(false),
  brand: clientFields.brand.default(null),
  reference_systems: clientFields.reference_systems.default([]),
  segments: clientFields.segments.default([]),
  require_pushed_authorization_requests: clientFields.require_pushed_authorization_requests.default(false),
  dpop_bound_access_tokens: clientFields.dpop_bound_access_tokens.default(false),
  backchannel_logout_uri: clientFields.backchannel_logout_uri.optional(),
  backchannel_logout_session_required: clientFields.backchannel_logout_session_required.default(false),
});
export type ClientInput = z.infer<typeof clientInputSchema>;

/** A patch names only what changes: no defaults fill in the fields it leaves out; `scope: null` lifts the restriction, `backchannel_logout_uri: null` removes the URI. */
export const clientPatchSchema = z.strictObject({ ...clientFields, scope: clientFields.scope.nullable(), backchannel_logout_uri: clientFields.backchannel_logout_uri.nullable() }).partial();
export type ClientPatch = z.infer<typeof clientPatchSchema>;

/** Stored metadata: the input with response_types and the auth method settled (clients stored before PAR and DPoP lack those two). */
export type ClientMetadata = Omit<ClientInput, 'response_types' | 'token_endpoint_auth_method' | 'require_pushed_authorization_requests' | 'dpop_bound_access_tokens'> & {
  response_types: Array<'code'>;
  token_endpoint_auth_method: (typeof AUTH_METHODS)[number];
  require_pushed_authorization_requests?: boolean;
  dpop_bound_access_tokens?: boolean;
};

export const clientWarningSchema = z.object({ code: z.enum(CLIENT_WARNINGS), message: z.string() });

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
  segments: z.array(z.string()),
  require_pushed_authorization_requests: z.boolean(),
  dpop_bound_access_tokens: z.boolean(),
  warnings: z.array(clientWarningSchema).describe('Settings of this client that weaken safety, each with a stable code (README, client registration)'),
  backchannel_logout_uri: z.string().nullable(),
  backchannel_logout_session_required: z.boolean(),
  updated_at: z.number().int(),
});
export type ClientOutput = z.infer<typeof clientOutputSchema>;

export const clientListSchema = z.object({ clients: z.array(clientOutputSchema) });
