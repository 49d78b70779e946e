import { z } from 'zod';
import { brandKey } from '../validation/brand-key.ts';
import { text } from '../validation/text.ts';
import { CONNECTION_KINDS, MICROSOFT_MULTI_TENANT, PRESETS, type ConnectionKind } from './connection-presets.ts';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);
const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const scopes = text()
  .max(500)
  .refine((value) => value.split(' ').every((token) => scopeToken.test(token)), 'space-separated scopes');
const tenantId = text().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a tenant id (GUID, lowercase)');
const clientIdList = z.array(text().min(1).max(200)).min(1).max(200);

const apple = z.strictObject({
  team_id: text().regex(/^[A-Z0-9]{10}$/, 'the 10-character Apple team id'),
  key_id: text().regex(/^[A-Z0-9]{10}$/, 'the 10-character id of the Sign in with Apple key'),
  private_key: text().min(100).max(4000).describe('The key file (.p8, PEM) Apple gave; kept sealed, never returned'),
});
const microsoft = z.strictObject({
  tenant: z.union([z.enum(MICROSOFT_MULTI_TENANT), tenantId]).default('common').describe('common, organizations, consumers, or one tenant id'),
  allowed_tenants: z.array(tenantId).min(1).max(100).nullable().default(null).describe('With a multi-tenant setting: only these tenants (the token\'s tid) may sign in'),
});
const meta = z.strictObject({
  api_version: text().regex(/^v\d{1,2}\.\d$/, 'a Graph API version such as v21.0').default('v21.0'),
  endpoints: z
    .strictObject({ authorization: httpUrl, token: httpUrl, me: httpUrl })
    .nullable()
    .default(null)
    .describe("Facebook Login's endpoints for the version unless set (a proxy)"),
});

const fields = {
  name: text().trim().min(1).max(80).describe('Shown on the button: "Continue with {name}"'),
  client_id: text().min(1).max(500),
  client_secret: text().min(1).max(2000).nullable().describe('Kept sealed; never returned. Apple: leave out, give `apple.private_key`'),
  scopes: scopes.describe('OpenID kinds start with openid; Meta: e.g. "email public_profile"'),
  trust_email_verified: z.boolean().describe("Take the upstream's verification of the address as proof (only for providers that verify addresses)"),
  enabled: z.boolean(),
  clients: clientIdList.nullable().describe('Only these clients show the connection; null: every client'),
  brands: z.array(brandKey).min(1).max(100).nullable().describe("Only clients of these brands show the connection; null: every brand"),
  apple: apple.describe('kind apple: the client secret is a JWT signed with this key'),
  microsoft: microsoft.describe('kind microsoft: which tenants'),
  meta: meta.describe('kind meta: the Graph API version'),
};

/** What only some kinds take, and what some kinds need. */
function kindRules(value: { kind: ConnectionKind; issuer?: string | undefined; name?: string | undefined; scopes?: string | undefined; client_secret?: string | null | undefined; apple?: unknown; microsoft?: unknown; meta?: unknown }, ctx: z.RefinementCtx) {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const preset = PRESETS[value.kind];
  if (value.kind === 'meta' && value.issuer) issue('issuer', 'Meta has no issuer; set meta.endpoints instead');
  if (value.scopes !== undefined && preset.protocol === 'oidc' && value.scopes.split(' ')[0] !== 'openid') issue('scopes', 'must start with openid');
  if (value.kind === 'apple' && value.client_secret) issue('client_secret', 'Apple takes a signed JWT: give apple.private_key instead');
  for (const kind of ['apple', 'microsoft', 'meta'] as const) {
    if (value[kind] !== undefined && value.kind !== kind) issue(kind, `only for kind ${kind}`);
  }
}

export const connectionCreate = z
  .strictObject({
    key: text().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'lowercase letters, digits, _ and - such as google'),
    kind: z.enum(CONNECTION_KINDS).default('oidc').describe('oidc (any OpenID provider) or a preset: google, apple, microsoft, meta'),
    issuer: httpUrl.optional().describe("Required for oidc; presets default to the provider's own (set only for a proxy)"),
    ...fields,
    name: fields.name.optional().describe('Presets default to the provider name'),
    client_secret: fields.client_secret.default(null),
    scopes: fields.scopes.optional().describe('Defaults to the kind\'s: openid email profile (Apple: openid email name; Meta: email public_profile)'),
    trust_email_verified: fields.trust_email_verified.optional().describe('Defaults to true for Google and Apple, false otherwise'),
    enabled: fields.enabled.default(true),
    clients: fields.clients.default(null),
    brands: fields.brands.default(null),
    apple: fields.apple.optional(),
    microsoft: fields.microsoft.optional(),
    meta: fields.meta.optional(),
  })
  .superRefine((value, ctx) => {
    kindRules(value, ctx);
    if (value.kind === 'oidc' && !value.issuer) ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'an oidc connection needs its issuer' });
    if (value.kind === 'oidc' && !value.name) ctx.addIssue({ code: 'custom', path: ['name'], message: 'an oidc connection needs a name for its button' });
    if (value.kind === 'apple' && !value.apple) ctx.addIssue({ code: 'custom', path: ['apple'], message: 'an apple connection needs team_id, key_id and private_key' });
  });
export type ConnectionInput = z.infer<typeof connectionCreate>;

export const connectionPatch = z.strictObject(fields).partial();
export type ConnectionPatch = z.infer<typeof connectionPatch>;

/** A patch is checked against the kind it changes, with the rules a new connection meets. */
export function patchIssues(kind: ConnectionKind, patch: ConnectionPatch): string[] {
  const result = z
    .custom<ConnectionPatch>()
    .superRefine((value, ctx) => kindRules({ ...value, kind }, ctx))
    .safeParse(patch);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

export const connectionOutput = z.object({
  key: z.string(),
  kind: z.enum(CONNECTION_KINDS),
  name: z.string(),
  issuer: z.string(),
  client_id: z.string(),
  has_client_secret: z.boolean().describe('Apple: whether the signing key is set'),
  scopes: z.string(),
  trust_email_verified: z.boolean(),
  enabled: z.boolean(),
  clients: z.array(z.string()).nullable(),
  brands: z.array(z.string()).nullable(),
  apple: z.object({ team_id: z.string(), key_id: z.string() }).optional(),
  microsoft: z.object({ tenant: z.string(), allowed_tenants: z.array(z.string()).nullable() }).optional(),
  meta: z.object({ api_version: z.string(), endpoints: z.object({ authorization: z.string(), token: z.string(), me: z.string() }).nullable() }).optional(),
  redirect_uri: z.string().describe('Register this at the upstream provider'),
  version: z.number().int(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
