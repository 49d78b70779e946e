import { z } from 'zod';

/** RFC 7591 names for what the management API accepts about a client; unknown fields are refused. */
const uri = z.string().min(1).max(2000);

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;

export const clientInputSchema = z.strictObject({
  client_name: z.string().trim().min(1).max(200),
  redirect_uris: z.array(uri).max(50).default([]),
  post_logout_redirect_uris: z.array(uri).max(50).default([]),
  grant_types: z.array(z.enum(GRANT_TYPES)).min(1).max(3).default(['authorization_code', 'refresh_token']),
  response_types: z.array(z.enum(['code'])).max(1).optional(),
  token_endpoint_auth_method: z.enum(AUTH_METHODS).default('client_secret_basic'),
  application_type: z.enum(['web', 'native']).default('web'),
  scope: z
    .string()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'space-separated scope tokens')
    .max(1000)
    .optional(),
  first_party: z.boolean().default(false),
});
export type ClientInput = z.infer<typeof clientInputSchema>;

export const clientPatchSchema = clientInputSchema.partial().strict();
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
  updated_at: z.number().int(),
});
export type ClientOutput = z.infer<typeof clientOutputSchema>;

export const clientListSchema = z.object({ clients: z.array(clientOutputSchema) });
