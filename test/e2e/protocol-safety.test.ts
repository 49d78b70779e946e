import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CUSTOMER = { email: 'lisa@example.se', password: 'a long enough passphrase' };

function authUrl(server: RunningPortvakt, params: Record<string, string>): string {
  const url = new URL(`${server.url}/auth`);
  for (const [key, value] of Object.entries({ response_type: 'code', scope: 'openid', state: 'xyz', ...params })) url.searchParams.set(key, value);
  return url.toString();
}

describe.each(DIALECTS)('protocol safety on %s', (dialect) => {
  let server: RunningPortvakt;
  let confidential: { client_id: string; client_secret: string };
  let publicClient: { client_id: string };

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    confidential = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true })).body;
    publicClient = (
      await server.api('POST', '/clients', { client_name: 'App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', first_party: true })
    ).body;
    await server.api('POST', '/customers', CUSTOMER);
  });
  afterAll(() => server?.stop());

  it.each([
    ['a trailing slash', `${REDIRECT}/`],
    ['an extra query', `${REDIRECT}?next=1`],
    ['another port', 'http://127.0.0.1:10/callback'],
    ['another host', 'https://attacker.example/callback'],
    ['a different case', 'http://127.0.0.1:9/Callback'],
  ])('refuses a redirect_uri with %s and never redirects to it', async (_case, redirectUri) => {
    const response = await fetch(authUrl(server, { client_id: confidential.client_id, redirect_uri: redirectUri, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('redirect_uri');
  });

  it('refuses an unknown client without redirecting', async () => {
    const response = await fetch(authUrl(server, { client_id: 'nobody', redirect_uri: REDIRECT }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('invalid_client');
  });

  it.each(['public', 'confidential'])('refuses a %s client that sends no PKCE challenge', async (kind) => {
    const clientId = kind === 'public' ? publicClient.client_id : confidential.client_id;
    const response = await fetch(authUrl(server, { client_id: clientId, redirect_uri: REDIRECT }), { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/i);
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('refuses a wrong client secret at the token endpoint with invalid_client', async () => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${confidential.client_id}:wrong-secret`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('refuses a code redeemed with another redirect_uri or verifier, and a code used twice', async () => {
    const rp = await RelyingParty.discover(server.url, confidential.client_id, confidential.client_secret, REDIRECT);
    const agent = new CookieAgent();
    const landed = new URL(await agent.authorize(await rp.authorizationUrl(), server.url, CUSTOMER));
    const code = landed.searchParams.get('code')!;
    const redeem = (fields: Record<string, string>) =>
      fetch(`${server.url}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${confidential.client_id}:${confidential.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, ...fields }).toString(),
      });
    const wrongUri = await redeem({ redirect_uri: 'http://127.0.0.1:10/callback', code_verifier: 'a'.repeat(43) });
    expect(wrongUri.status).toBe(400);
    expect(((await wrongUri.json()) as { error: string }).error).toBe('invalid_grant');
    const wrongVerifier = await redeem({ redirect_uri: REDIRECT, code_verifier: 'b'.repeat(43) });
    expect(((await wrongVerifier.json()) as { error: string }).error).toBe('invalid_grant');

    expect((await rp.callback(landed.toString())).access_token).toBeTruthy();
    const replay = await rp.callback(landed.toString()).then(() => undefined, (error: unknown) => error);
    expect((replay as oidc.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('issues client_credentials tokens, introspects and revokes them', async () => {
    const service = (await server.api('POST', '/clients', { client_name: 'CRM sync', grant_types: ['client_credentials'] })).body;
    expect(service).toMatchObject({ grant_types: ['client_credentials'], response_types: [] });
    const config = await oidc.discovery(new URL(server.url), service.client_id, undefined, oidc.ClientSecretBasic(service.client_secret), {
      execute: [oidc.allowInsecureRequests],
    });
    const token = await oidc.clientCredentialsGrant(config);
    expect(token.token_type.toLowerCase()).toBe('bearer');
    const active = await oidc.tokenIntrospection(config, token.access_token);
    expect(active).toMatchObject({ active: true, client_id: service.client_id });
    await oidc.tokenRevocation(config, token.access_token);
    expect((await oidc.tokenIntrospection(config, token.access_token)).active).toBe(false);
  });

  it('lets a client introspect only its own tokens', async () => {
    const issue = async () => {
      const created = (await server.api('POST', '/clients', { client_name: 'Svc', grant_types: ['client_credentials'] })).body;
      const config = await oidc.discovery(new URL(server.url), created.client_id, undefined, oidc.ClientSecretBasic(created.client_secret), {
        execute: [oidc.allowInsecureRequests],
      });
      return { config, token: (await oidc.clientCredentialsGrant(config)).access_token };
    };
    const a = await issue();
    const b = await issue();
    expect((await oidc.tokenIntrospection(a.config, a.token)).active).toBe(true);
    expect((await oidc.tokenIntrospection(a.config, b.token)).active).toBe(false);
  });

  it('never allows CORS from an opaque ("null") origin, even for a native client', async () => {
    const native = (
      await server.api('POST', '/clients', { client_name: 'Native', application_type: 'native', redirect_uris: ['com.example.app:/cb'], token_endpoint_auth_method: 'none' })
    ).body;
    const spa = (await server.api('POST', '/clients', { client_name: 'SPA', redirect_uris: ['https://spa.example/cb'], token_endpoint_auth_method: 'none' })).body;
    const post = (clientId: string, origin: string) =>
      fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=refresh_token&refresh_token=nope&client_id=${clientId}`,
      });
    expect((await post(native.client_id, 'null')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await post(spa.client_id, 'null')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await post(spa.client_id, 'https://spa.example')).headers.get('access-control-allow-origin')).toBe('https://spa.example');
    expect((await post(spa.client_id, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('publishes RS256 and ES256 keys and the discovery a standard client needs', async () => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(server.url);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.response_types_supported).toEqual(['code']);
    expect(discovery.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    for (const endpoint of ['introspection_endpoint', 'revocation_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'jwks_uri']) {
      expect(discovery[endpoint]).toMatch(new RegExp(`^${server.url}/`));
    }
    const jwks = (await (await fetch(String(discovery.jwks_uri))).json()) as { keys: Array<{ alg: string }> };
    expect(jwks.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
  });
});
