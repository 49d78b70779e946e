import { z } from 'zod';
import { brandKey } from '../validation/brand-key.ts';
import { nameText, text } from '../validation/text.ts';
import { CONNECTION_KINDS, connectorFor, ownSettingsIn, SETTINGS_KINDS, settingsInputShape, settingsOutputShape, type ConnectionKind, type SettingsInputShape } from './connectors/registry.ts';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);
const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const scopes = text()
  .max(500)
  .refine((value) => value.split(' ').every((token) => scopeToken.test(token)), 'space-separated scopes');
const clientIdList = z.array(text().min(1).max(200)).min(1).max(200);

/** The registry in words, for the API documentation. */
const presets = CONNECTION_KINDS.map(connectorFor).filter((connector) => connector.preset.name !== '');
const generic = CONNECTION_KINDS.map(connectorFor).filter((connector) => connector.preset.name === '');
export const PRESET_LIST = presets.map((connector) => connector.kind).join(', ');
const kindWords = `${generic.map((connector) => `${connector.kind} (any OpenID provider)`).join(', ')} or a preset: ${PRESET_LIST}`;
const defaultScopes = generic[0]?.preset.scopes ?? 'openid email profile';
const otherScopes = presets.filter((connector) => connector.preset.scopes !== defaultScopes).map((connector) => `${connector.kind}: ${connector.preset.scopes}`);
const trusting = presets.filter((connector) => connector.preset.trustEmailVerified).map((connector) => connector.preset.name);
const secretNotes = CONNECTION_KINDS.flatMap((kind) => connectorFor(kind).clientSecretNote ?? []);

/** Each kind's own settings block, under the kind's key. */
const settingsFields: SettingsInputShape = settingsInputShape();

const fields = {
  name: nameText().trim().min(1).max(80).describe('Shown on the button: "Continue with {name}"'),
  client_id: text().min(1).max(500),
  client_secret: text().min(1).max(2000).nullable().describe(['Kept sealed; never returned.', ...secretNotes].join(' ')),
  scopes: scopes.describe('OpenID kinds start with openid; Meta: e.g. "email public_profile"'),
  trust_email_verified: z.boolean().describe("Take the upstream's verification of the address as proof (only for providers that verify addresses)"),
  enabled: z.boolean(),
  clients: clientIdList.nullable().describe('Only these clients show the connection; null: every client'),
  brands: z.array(brandKey).min(1).max(100).nullable().describe("Only clients of these brands show the connection; null: every brand"),
  ...settingsFields,
};

type KindRuleInput = { kind: ConnectionKind; issuer?: string | undefined; name?: string | undefined; scopes?: string | undefined; client_secret?: string | null | undefined };

/** What only some kinds take, and what some kinds need. */
function kindRules(value: KindRuleInput, ctx: z.RefinementCtx, isNew: boolean) {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const connector = connectorFor(value.kind);
  const fields = { ...value, settings: ownSettingsIn(value, value.kind) };
  if (value.scopes !== undefined && connector.preset.protocol === 'oidc' && value.scopes.split(' ')[0] !== 'openid') issue('scopes', 'must start with openid');
  connector.validate?.(fields, issue);
  for (const kind of SETTINGS_KINDS) {
    if (ownSettingsIn(value, kind) !== undefined && value.kind !== kind) issue(kind, `only for kind ${kind}`);
  }
  if (isNew) connector.validateNew?.(fields, issue);
}

function optional<T extends Record<string, z.ZodType>>(shape: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(shape).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };
}

export const connectionCreate = z
  .strictObject({
    key: text().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'lowercase letters, digits, _ and - such as google'),
    kind: z.enum(CONNECTION_KINDS).default('oidc').describe(kindWords),
    issuer: httpUrl.optional().describe("Required for oidc; presets default to the provider's own (set only for a proxy)"),
    ...fields,
    name: fields.name.optional().describe('Presets default to the provider name'),
    client_secret: fields.client_secret.default(null),
    scopes: fields.scopes.optional().describe(`Defaults to the kind's: ${defaultScopes}${otherScopes.length > 0 ? ` (${otherScopes.join('; ')})` : ''}`),
    trust_email_verified: fields.trust_email_verified.optional().describe(`Defaults to true for ${trusting.join(' and ')}, false otherwise`),
    enabled: fields.enabled.default(true),
    clients: fields.clients.default(null),
    brands: fields.brands.default(null),
    ...optional(settingsFields),
  })
  .superRefine((value, ctx) => kindRules(value, ctx, true));
export type ConnectionInput = z.infer<typeof connectionCreate>;

export const connectionPatch = z.strictObject(fields).partial();
export type ConnectionPatch = z.infer<typeof connectionPatch>;

/** A patch is checked against the kind it changes, with the rules a new connection meets. */
export function patchIssues(kind: ConnectionKind, patch: ConnectionPatch): string[] {
  const result = z
    .custom<ConnectionPatch>()
    .superRefine((value, ctx) => kindRules({ ...value, kind }, ctx, false))
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
  ...optional(settingsOutputShape()),
  redirect_uri: z.string().describe('Register this at the upstream provider'),
  version: z.number().int(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
