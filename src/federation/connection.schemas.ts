import { z } from 'zod';
import { text } from '../validation/text.ts';

const scope = text().regex(/^openid( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'space-separated scopes starting with openid');

const fields = {
  name: text().trim().min(1).max(80).describe('Shown on the button: "Continue with {name}"'),
  client_id: text().min(1).max(500),
  client_secret: text().min(1).max(2000).nullable().describe('Kept sealed; never returned'),
  scopes: scope.max(500),
  trust_email_verified: z.boolean().describe("Take the upstream's email_verified as proof of the address (only for providers that verify addresses)"),
  enabled: z.boolean(),
};

export const connectionCreate = z.strictObject({
  key: text().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'lowercase letters, digits, _ and - such as google'),
  kind: z.literal('oidc').default('oidc'),
  issuer: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
  ...fields,
  client_secret: fields.client_secret.default(null),
  scopes: fields.scopes.default('openid email profile'),
  trust_email_verified: fields.trust_email_verified.default(false),
  enabled: fields.enabled.default(true),
});
export type ConnectionInput = z.infer<typeof connectionCreate>;

export const connectionPatch = z.strictObject(fields).partial();
export type ConnectionPatch = z.infer<typeof connectionPatch>;

export const connectionOutput = z.object({
  key: z.string(),
  kind: z.literal('oidc'),
  name: z.string(),
  issuer: z.string(),
  client_id: z.string(),
  has_client_secret: z.boolean(),
  scopes: z.string(),
  trust_email_verified: z.boolean(),
  enabled: z.boolean(),
  redirect_uri: z.string().describe('Register this at the upstream provider'),
  version: z.number().int(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
