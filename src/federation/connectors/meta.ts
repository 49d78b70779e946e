import { createHmac } from 'node:crypto';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { DomainError } from '../../errors/domain-error.ts';
import { text } from '../../validation/text.ts';
import { UpstreamError } from '../upstream-error.ts';
import type { Connector, ConnectorConnection, EndpointCheck, UpstreamAnswer, UpstreamProfile } from './connector.ts';
import { clientSecretPost } from './openid-connect.ts';

/**
 * Meta (Facebook Login): OAuth 2.0 without ID tokens, at fixed endpoints (no discovery). The
 * profile comes from the Graph API `/me`, each call carrying `appsecret_proof` (HMAC-SHA256 of the
 * access token under the app secret).
 */
export const META_API_VERSION = 'v21.0';

/** Graph API fields read at Meta's `/me`. */
const META_FIELDS = 'id,name,email,first_name,last_name,picture';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

const settingsInput = z
  .strictObject({
    api_version: text().regex(/^v\d{1,2}\.\d$/, 'a Graph API version such as v21.0').default(META_API_VERSION),
    endpoints: z
      .strictObject({ authorization: httpUrl, token: httpUrl, me: httpUrl })
      .nullable()
      .default(null)
      .describe("Facebook Login's endpoints for the version unless set (a proxy)"),
  })
  .describe('kind meta: the Graph API version');

export interface MetaEndpoints {
  authorization: string;
  token: string;
  me: string;
}

export interface MetaSettings {
  api_version: string;
  endpoints: MetaEndpoints | null;
}

/** Facebook Login's endpoints for an API version, unless a connection names its own (a proxy, a test double). */
export function metaEndpoints(settings: MetaSettings | undefined): MetaEndpoints {
  if (settings?.endpoints) return settings.endpoints;
  const version = settings?.api_version ?? META_API_VERSION;
  return {
    authorization: `https://www.facebook.com/${version}/dialog/oauth`,
    token: `https://graph.facebook.com/${version}/oauth/access_token`,
    me: `https://graph.facebook.com/${version}/me`,
  };
}

export const meta = {
  kind: 'meta',
  preset: { name: 'Facebook', issuer: () => 'https://www.facebook.com', scopes: 'email public_profile', trustEmailVerified: false, protocol: 'oauth2', formPost: false },
  settings: {
    input: settingsInput,
    output: z.object({ api_version: z.string(), endpoints: z.object({ authorization: z.string(), token: z.string(), me: z.string() }).nullable() }),
    stored: (input: MetaSettings) => input,
  },
  validate(value, issue) {
    if (value.issuer) issue('issuer', 'Meta has no issuer; set meta.endpoints instead');
  },
  clientAuthentication: clientSecretPost,
  configuration: metaConfiguration,
  readProfile: readGraphProfile,
} as const satisfies Connector<MetaSettings, MetaSettings>;

/** Facebook Login's fixed endpoints, each checked like a discovered one. */
function metaConfiguration(connection: ConnectorConnection<MetaSettings>, secret: string | null, auth: oidc.ClientAuth, endpoint: EndpointCheck): oidc.Configuration {
  if (!secret) throw new DomainError('invalid_body', 400, 'client_secret: Meta needs the app secret');
  const endpoints = metaEndpoints(connection.settings);
  const urls = [endpoints.authorization, endpoints.token, endpoints.me].map(endpoint);
  const config = new oidc.Configuration({ issuer: connection.issuer, authorization_endpoint: endpoints.authorization, token_endpoint: endpoints.token }, connection.clientId, undefined, auth);
  if (urls.some((url) => url.protocol === 'http:')) oidc.allowInsecureRequests(config);
  return config;
}

/**
 * The code exchanged (no ID token), then Meta's Graph API `/me`, with `appsecret_proof`, so a
 * stolen token is of no use without the secret. Meta returns only an address its user confirmed;
 * whether that counts as verified here is the connection's trust setting.
 */
async function readGraphProfile(answer: UpstreamAnswer<MetaSettings>): Promise<UpstreamProfile> {
  const { config, connection, secret, checks } = answer;
  const tokens = await oidc.authorizationCodeGrant(config, answer.callbackUrl, { pkceCodeVerifier: checks.verifier, expectedState: checks.returnState, idTokenExpected: false });
  const accessToken = tokens.access_token;
  const me = new URL(metaEndpoints(connection.settings).me);
  me.searchParams.set('fields', META_FIELDS);
  if (secret) me.searchParams.set('appsecret_proof', createHmac('sha256', secret).update(accessToken).digest('hex'));
  const response = await oidc.fetchProtectedResource(config, accessToken, me, 'GET');
  if (!response.ok) throw new UpstreamError('invalid', connection.key, `the Graph API answered ${response.status}`);
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!body || typeof body.id !== 'string' || !/^\d{1,40}$/.test(body.id)) throw new UpstreamError('invalid', connection.key, 'the Graph API answered no user id');
  return { subject: body.id, email: body.email, emailVerified: true, givenName: body.first_name, familyName: body.last_name, locale: undefined };
}
