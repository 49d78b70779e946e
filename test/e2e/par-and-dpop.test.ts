import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CUSTOMER = { email: 'par@example.se', password: 'a long enough passphrase' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** One authorization request's checks, kept by the test as a relying party would. */
interface Checks {
  verifier: string;
  state: string;
  nonce: string;
}

async function parameters(): Promise<{ checks: Checks; params: Record<string, string> }> {
  const checks = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
  const params = {
    redirect_uri: REDIRECT,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
    code_challenge_method: 'S256',
    state: checks.state,
    nonce: checks.nonce,
  };
  return { checks, params };
}

function discover(server: RunningPortvakt, clientId: string, secret?: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.url), clientId, { redirect_uris: [REDIRECT] }, secret ? oidc.ClientSecretBasic(secret) : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

function redeem(config: oidc.Configuration, landed: string, checks: Checks, options?: oidc.DPoPOptions) {
  return oidc.authorizationCodeGrant(config, new URL(landed), { pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true }, undefined, options);
}

/** The OAuth error an openid-client call ended with (its `error` code). */
async function oauthError(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    const failure = error as { error?: string; cause?: { error?: string }; code?: string };
    return failure.error ?? failure.cause?.error ?? failure.code ?? String(error);
  }
}

/**
 * PAR (RFC 9126) and DPoP (RFC 9449) kept on purpose, request objects (JAR) off, and the safe
 * defaults of client registration, all seen from outside with openid-client.
 */
describe.each(DIALECTS)('PAR, DPoP and safe client defaults on %s', (dialect) => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    await server.api('POST', '/customers', CUSTOMER);
  });
  afterAll(() => server?.stop());

  it('lists PAR and DPoP in discovery, and not request objects; a request parameter is refused', async () => {
    const document = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(document.pushed_authorization_request_endpoint).toBe(`${server.url}/request`);
    expect(document.require_pushed_authorization_requests).toBeUndefined();
    expect(document.dpop_signing_alg_values_supported).toEqual(['ES256', 'Ed25519', 'EdDSA']);
    expect(document.request_parameter_supported).toBeUndefined();
    expect(document.request_uri_parameter_supported).toBe(false);
    expect(document.request_object_signing_alg_values_supported).toBeUndefined();
    expect(document.require_signed_request_object).toBeUndefined();

    const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true })).body;
    const { params } = await parameters();
    const requestObject = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ client_id: client.client_id, scope: 'openid profile' })).toString('base64url')}.`;
    const url = new URL(`${server.url}/auth`);
    url.search = new URLSearchParams({ client_id: client.client_id, response_type: 'code', ...params, request: requestObject }).toString();
    const refused = await fetch(url, { redirect: 'manual' });
    const location = new URL(refused.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('request_not_supported');
    expect(location.searchParams.get('code')).toBeNull();
    // Pushed, the request object is refused as well.
    const pushed = await fetch(`${server.url}/request`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client_id, response_type: 'code', ...params, request: requestObject }).toString(),
    });
    expect(pushed.status).toBe(400);
    expect(((await pushed.json()) as { error: string }).error).toBe('request_not_supported');
  });

  it('refuses a plain authorization request from a PAR-required client, and signs the customer in through PAR', async () => {
    const created = await server.api('POST', '/clients', { client_name: 'Lojalitet', redirect_uris: [REDIRECT], first_party: true, require_pushed_authorization_requests: true });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.require_pushed_authorization_requests).toBe(true);
    const client = created.body;
    const config = await discover(server, client.client_id, client.client_secret);

    const plain = await parameters();
    const refused = await new CookieAgent().follow(oidc.buildAuthorizationUrl(config, plain.params).toString(), server.url);
    const location = new URL(refused.url);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/Pushed Authorization Request must be used/);
    expect(location.searchParams.get('code')).toBeNull();

    const pushed = await parameters();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, pushed.params);
    // Only the client and the reference cross the front channel.
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const landed = await new CookieAgent().authorize(url.toString(), server.url, CUSTOMER);
    expect(landed).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await redeem(config, landed, pushed.checks);
    expect(tokens.claims()).toMatchObject({ email: CUSTOMER.email, aud: client.client_id });
    // The pushed request is used once.
    const again = await new CookieAgent().follow(url.toString(), server.url);
    expect(again.url).not.toMatch(/code=/);
  });

  it('binds tokens to the DPoP key: no proof, no token; the token is useless at userinfo without its proof', async () => {
    const created = await server.api('POST', '/clients', { client_name: 'Webbappen', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', first_party: true, dpop_bound_access_tokens: true });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.dpop_bound_access_tokens).toBe(true);
    const config = await discover(server, created.body.client_id);
    const { checks, params } = await parameters();
    const landed = await new CookieAgent().authorize(oidc.buildAuthorizationUrl(config, params).toString(), server.url, CUSTOMER);

    // The token request without a proof is refused, and the code is still there for the proof.
    expect(await oauthError(redeem(config, landed, checks))).toBe('invalid_grant');
    const keys = await oidc.randomDPoPKeyPair();
    const dpop = oidc.getDPoPHandle(config, keys);
    const tokens = await redeem(config, landed, checks, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const subject = tokens.claims()!.sub;

    const userinfo = config.serverMetadata().userinfo_endpoint!;
    const asBearer = await fetch(userinfo, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    const withoutProof = await fetch(userinfo, { headers: { authorization: `DPoP ${tokens.access_token}` } });
    expect(withoutProof.status).toBeGreaterThanOrEqual(400);
    expect(withoutProof.status).toBeLessThan(500);
    expect(await oauthError(oidc.fetchUserInfo(config, tokens.access_token, subject))).toBeDefined();
    // A thief's own key does not help either.
    const thief = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
    expect(await oauthError(oidc.fetchUserInfo(config, tokens.access_token, subject, { DPoP: thief }))).toBeDefined();
    const info = await oidc.fetchUserInfo(config, tokens.access_token, subject, { DPoP: dpop });
    expect(info.email).toBe(CUSTOMER.email);
    // A proof is good once: the same proof sent again (an eavesdropper's replay) is refused.
    const proof = await new SignJWT({ htm: 'GET', htu: userinfo, jti: randomUUID(), ath: createHash('sha256').update(tokens.access_token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
      .setIssuedAt()
      .sign(keys.privateKey);
    const withProof = () => fetch(userinfo, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: proof } });
    expect((await withProof()).status).toBe(200);
    const replayed = await withProof();
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    // A public client's refresh token is bound to the same key.
    expect(tokens.refresh_token).toBeTruthy();
    expect(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
    expect(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: thief }))).toBe('invalid_grant');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
  });

  it('makes a native client public unless asked otherwise, refuses unsafe native and public settings, and names weakening ones', async () => {
    const count = async () => (await server.portvakt.store.db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const app = await server.api('POST', '/clients', { client_name: 'Butiksappen', application_type: 'native', redirect_uris: ['com.example.shop:/callback'] });
    expect(app.status, JSON.stringify(app.body)).toBe(201);
    expect(app.body.token_endpoint_auth_method).toBe('none');
    expect(app.body.client_secret).toBeUndefined();
    expect(app.body.warnings).toEqual([]);
    expect(app.body).toMatchObject({ require_pushed_authorization_requests: false, dpop_bound_access_tokens: false });
    const row = await server.portvakt.store.db.selectFrom('clients').selectAll().where('client_id', '=', app.body.client_id).executeTakeFirstOrThrow();
    expect(row.client_secret_hash).toBeNull();

    // Asked for explicitly, with authorization_code (so PKCE): allowed, and named.
    const confidential = await server.api('POST', '/clients', { client_name: 'Kassaappen', application_type: 'native', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['com.example.pos:/callback'] });
    expect(confidential.status, JSON.stringify(confidential.body)).toBe(201);
    expect(confidential.body.client_secret).toBeTruthy();
    expect(confidential.body.warnings.map((warning: { code: string }) => warning.code)).toEqual(['confidential_native_client']);

    const before = await count();
    for (const body of [
      // Confidential native without authorization_code: nothing where PKCE applies.
      { client_name: 'TV', application_type: 'native', token_endpoint_auth_method: 'client_secret_basic', grant_types: [DEVICE_GRANT], redirect_uris: [] },
      { client_name: 'TV', application_type: 'native', token_endpoint_auth_method: 'client_secret_post', grant_types: ['refresh_token', DEVICE_GRANT], redirect_uris: [] },
      // client_credentials in an app, or for a client that cannot authenticate.
      { client_name: 'App', application_type: 'native', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', 'client_credentials'], redirect_uris: ['com.example.app:/cb'] },
      { client_name: 'Maskin', token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
    ]) {
      const refused = await server.api('POST', '/clients', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error).toBe('invalid_client_metadata');
    }
    expect(await count()).toBe(before);

    const weak = await server.api('POST', '/clients', { client_name: 'Gammal butik', token_endpoint_auth_method: 'client_secret_post', redirect_uris: ['http://shop.example/cb', 'http://127.0.0.1:8080/cb'] });
    expect(weak.status, JSON.stringify(weak.body)).toBe(201);
    expect(weak.body.warnings.map((warning: { code: string }) => warning.code)).toEqual(['client_secret_post', 'http_redirect_uri']);
    expect((await server.api('GET', `/clients/${weak.body.client_id}`)).body.warnings).toEqual(weak.body.warnings);
    const loopbackOnly = await server.api('POST', '/clients', { client_name: 'Dev', redirect_uris: ['http://127.0.0.1:3000/cb', 'http://[::1]:3000/cb'] });
    expect(loopbackOnly.body.warnings).toEqual([]);
  });

  it('decides on PATCH as on POST: turning a web client native needs the auth method named', async () => {
    const web = (await server.api('POST', '/clients', { client_name: 'Webben', redirect_uris: ['http://127.0.0.1/cb'] })).body;
    const silent = await server.api('PATCH', `/clients/${web.client_id}`, { application_type: 'native' });
    expect(silent.status).toBe(400);
    expect(silent.body.error).toBe('invalid_client_metadata');
    expect((await server.api('GET', `/clients/${web.client_id}`)).body.application_type).toBe('web');

    const publicApp = await server.api('PATCH', `/clients/${web.client_id}`, { application_type: 'native', token_endpoint_auth_method: 'none' });
    expect(publicApp.status, JSON.stringify(publicApp.body)).toBe(200);
    expect(publicApp.body).toMatchObject({ application_type: 'native', token_endpoint_auth_method: 'none', warnings: [] });
    const row = await server.portvakt.store.db.selectFrom('clients').selectAll().where('client_id', '=', web.client_id).executeTakeFirstOrThrow();
    expect(row.client_secret_hash).toBeNull();

    const confidentialApp = await server.api('PATCH', `/clients/${web.client_id}`, { token_endpoint_auth_method: 'client_secret_post' });
    expect(confidentialApp.status).toBe(200);
    expect(confidentialApp.body.client_secret).toBeTruthy();
    expect(confidentialApp.body.warnings.map((warning: { code: string }) => warning.code)).toEqual(['confidential_native_client', 'client_secret_post']);
    // Already a confidential native client: other changes go through, still named.
    const renamed = await server.api('PATCH', `/clients/${web.client_id}`, { client_name: 'Appen' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.warnings.map((warning: { code: string }) => warning.code)).toContain('confidential_native_client');
    // ...but not one that leaves no authorization_code.
    expect((await server.api('PATCH', `/clients/${web.client_id}`, { grant_types: [DEVICE_GRANT] })).status).toBe(400);

    const flags = await server.api('PATCH', `/clients/${web.client_id}`, { require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
    expect(flags.status).toBe(200);
    expect(flags.body).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
  });

  it('refuses bad values for the PAR and DPoP fields with a stable error and writes nothing', async () => {
    const client = (await server.api('POST', '/clients', { client_name: 'Stabil', redirect_uris: [REDIRECT] })).body;
    const snapshot = async () => JSON.stringify(await server.portvakt.store.db.selectFrom('clients').selectAll().orderBy('client_id').execute());
    const before = await snapshot();
    for (const value of ['yes', 1, null, [], {}]) {
      for (const field of ['require_pushed_authorization_requests', 'dpop_bound_access_tokens']) {
        const created = await server.api('POST', '/clients', { client_name: 'Fel', redirect_uris: [REDIRECT], [field]: value });
        expect(created.status, `${field}: ${JSON.stringify(value)}`).toBe(400);
        expect(created.body.error).toBe('validation_failed');
        const patched = await server.api('PATCH', `/clients/${client.client_id}`, { [field]: value });
        expect(patched.status).toBe(400);
        expect(patched.body.error).toBe('validation_failed');
      }
    }
    expect(await snapshot()).toBe(before);
  });
});
