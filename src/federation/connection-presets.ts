/**
 * What each kind of connection is, beyond a generic OpenID provider: its issuer, default scopes,
 * button name, whether its `email_verified` may be trusted, and how its answer comes back.
 *
 * - Google vouches for addresses with `email_verified`.
 * - Apple answers with `response_mode=form_post`, wants a client secret that is a JWT signed with
 *   the team's key, sends the name only on the first sign-in (in a `user` form field, not in the
 *   ID token), and writes `email_verified` as the string "true".
 * - Microsoft's multi-tenant endpoints (`common`, `organizations`, `consumers`) publish the issuer
 *   as a template, `…/{tenantid}/v2.0`; openid-client fills it from the token's `tid`. Its `email`
 *   claim is not verified by Microsoft (the "nOAuth" problem), so it is never trusted by default.
 * - Meta (Facebook Login) is OAuth 2.0 without ID tokens: the profile comes from the Graph API
 *   `/me`, each call carrying `appsecret_proof` (HMAC-SHA256 of the access token under the app secret).
 */
export const CONNECTION_KINDS = ['oidc', 'google', 'apple', 'microsoft', 'meta'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

export interface Preset {
  name: string;
  issuer: ((settings: ConnectionSettings) => string) | null;
  scopes: string;
  trustEmailVerified: boolean;
  /** `oidc`: discovery, code flow with an ID token; `graph`: OAuth 2.0 code flow, then the Graph API. */
  protocol: 'oidc' | 'graph';
  formPost: boolean;
}

export const META_API_VERSION = 'v21.0';
export const MICROSOFT_MULTI_TENANT = ['common', 'organizations', 'consumers'] as const;

export const PRESETS: Record<ConnectionKind, Preset> = {
  oidc: { name: '', issuer: null, scopes: 'openid email profile', trustEmailVerified: false, protocol: 'oidc', formPost: false },
  google: { name: 'Google', issuer: () => 'https://accounts.google.com', scopes: 'openid email profile', trustEmailVerified: true, protocol: 'oidc', formPost: false },
  apple: { name: 'Apple', issuer: () => 'https://appleid.apple.com', scopes: 'openid email name', trustEmailVerified: true, protocol: 'oidc', formPost: true },
  microsoft: {
    name: 'Microsoft',
    issuer: (settings) => `https://login.microsoftonline.com/${settings.microsoft?.tenant ?? 'common'}/v2.0`,
    scopes: 'openid email profile',
    trustEmailVerified: false,
    protocol: 'oidc',
    formPost: false,
  },
  meta: { name: 'Facebook', issuer: () => 'https://www.facebook.com', scopes: 'email public_profile', trustEmailVerified: false, protocol: 'graph', formPost: false },
};

/** Kind-specific settings, kept as JSON beside the connection. Nothing in here is secret. */
export interface ConnectionSettings {
  apple?: { team_id: string; key_id: string };
  microsoft?: { tenant: string; allowed_tenants: string[] | null };
  meta?: { api_version: string; endpoints: MetaEndpoints | null };
}

export interface MetaEndpoints {
  authorization: string;
  token: string;
  me: string;
}

/** Facebook Login's endpoints for an API version, unless a connection names its own (a proxy, a test double). */
export function metaEndpoints(settings: ConnectionSettings): MetaEndpoints {
  const meta = settings.meta;
  if (meta?.endpoints) return meta.endpoints;
  const version = meta?.api_version ?? META_API_VERSION;
  return {
    authorization: `https://www.facebook.com/${version}/dialog/oauth`,
    token: `https://graph.facebook.com/${version}/oauth/access_token`,
    me: `https://graph.facebook.com/${version}/me`,
  };
}

/** Microsoft's multi-tenant issuers accept any tenant; a connection may narrow that to a list. */
export function microsoftTenantAllowed(settings: ConnectionSettings, tid: unknown): boolean {
  const allowed = settings.microsoft?.allowed_tenants;
  if (!allowed) return true;
  return typeof tid === 'string' && allowed.includes(tid.toLowerCase());
}
