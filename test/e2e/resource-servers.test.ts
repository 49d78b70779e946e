import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { openTestRedis } from '../support/test-redis.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const LOYALTY = 'https://loyalty.example/api';
const CUSTOMER = { email: 'maja@example.se', password: 'a long enough passphrase' };

/** A refusal from openid-client: the OAuth error code, or the error itself when it is no such refusal. */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(() => undefined, (caught: unknown) => caught);
  if (error instanceof oidc.ResponseBodyError) return error.error;
  if (error instanceof oidc.WWWAuthenticateChallengeError) return String(error.cause[0]?.parameters.error);
  throw new Error(`expected an OAuth error, got ${String(error)}`);
}

function isJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/** Both dialects, and PostgreSQL with the artifacts (refresh tokens, opaque tokens, grants) in Redis. */
const SETUPS = [...DIALECTS.map((dialect) => ({ dialect, redis: false, name: dialect })), { dialect: 'postgres' as const, redis: true, name: 'postgres with Redis' }];

describe.each(SETUPS)('resource servers and JWT access tokens on $name', ({ dialect, redis: withRedis }) => {
  let server: RunningPortvakt;
  let redis: Awaited<ReturnType<typeof openTestRedis>> | undefined;
  let machine: oidc.Configuration;
  let outsider: oidc.Configuration;
  let shop: RelyingParty;
  let loyaltyId: string;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  const machineClient = async (name: string) => {
    const created = (await server.api('POST', '/clients', { client_name: name, grant_types: ['client_credentials'] })).body;
    const config = await oidc.discovery(new URL(server.url), created.client_id, undefined, oidc.ClientSecretBasic(created.client_secret), { execute: [oidc.allowInsecureRequests] });
    return { id: String(created.client_id), config };
  };
  const verify = (token: string, audience = LOYALTY) => jwtVerify(token, jwks, { issuer: server.url, audience, typ: 'at+jwt', algorithms: ['RS256', 'ES256'] });
  const count = async () => (await server.api('GET', '/resource-servers')).body.resource_servers.length as number;

  beforeAll(async () => {
    redis = withRedis ? await openTestRedis() : undefined;
    server = await startPortvakt(dialect, redis ? { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix } : {});
    const sync = await machineClient('Loyalty sync');
    const stranger = await machineClient('Stranger');
    machine = sync.config;
    outsider = stranger.config;
    const shopClient = (await server.api('POST', '/clients', { client_name: 'Web shop', redirect_uris: [REDIRECT], first_party: true })).body;
    shop = await RelyingParty.discover(server.url, shopClient.client_id, shopClient.client_secret, REDIRECT);
    await server.api('POST', '/customers', CUSTOMER);
    const created = await server.api('POST', '/resource-servers', {
      identifier: LOYALTY,
      name: 'Loyalty API',
      scopes: ['points:read', { value: 'points:write', description: 'Add and redeem points' }],
      token_format: 'jwt',
      access_token_ttl: 600,
      allowed_clients: [sync.id, shopClient.client_id],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      identifier: LOYALTY,
      name: 'Loyalty API',
      scopes: [{ value: 'points:read' }, { value: 'points:write', description: 'Add and redeem points' }],
      token_format: 'jwt',
      access_token_ttl: 600,
      allowed_clients: [sync.id, shopClient.client_id],
    });
    loyaltyId = created.body.id;
    jwks = createRemoteJWKSet(new URL(machine.serverMetadata().jwks_uri!));
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.close();
  });

  it('lists, reads and audits a registered resource server', async () => {
    expect((await server.api('GET', `/resource-servers/${loyaltyId}`)).body).toMatchObject({ id: loyaltyId, identifier: LOYALTY });
    expect((await server.api('GET', '/resource-servers')).body.resource_servers.map((entry: { identifier: string }) => entry.identifier)).toContain(LOYALTY);
    const entry = await server.portvakt.store.db.selectFrom('audit_log').select(['subject_id', 'details']).where('action', '=', 'resource_server.created').executeTakeFirstOrThrow();
    expect(entry.subject_id).toBe(loyaltyId);
  });

  it('gives a machine client an RFC 9068 JWT access token for the resource (client_credentials)', async () => {
    const tokens = await oidc.clientCredentialsGrant(machine, { scope: 'points:read', resource: LOYALTY });
    expect(tokens.scope).toBe('points:read');
    const { payload, protectedHeader } = await verify(tokens.access_token);
    expect(protectedHeader).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(payload).toMatchObject({ iss: server.url, aud: LOYALTY, client_id: machine.clientMetadata().client_id, sub: machine.clientMetadata().client_id, scope: 'points:read' });
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(tokens.expires_in).toBe(600);
    // Not stored: introspection and revocation refuse it; the API verifies it itself.
    expect(await refusal(oidc.tokenIntrospection(machine, tokens.access_token))).toBe('unsupported_token_type');
    expect(await refusal(oidc.tokenRevocation(machine, tokens.access_token))).toBe('unsupported_token_type');
  });

  it('gives a signed-in customer’s client a JWT for the resource in the authorization code flow, and still the userinfo token without resource', async () => {
    const agent = new CookieAgent();
    const landed = await agent.authorize(await shop.authorizationUrl({ scope: 'openid email offline_access points:read', resource: LOYALTY }), server.url, CUSTOMER);
    const tokens = await shop.callback(landed, { resource: LOYALTY });
    const sub = tokens.claims()!.sub;
    const { payload, protectedHeader } = await verify(tokens.access_token);
    expect(protectedHeader.typ).toBe('at+jwt');
    // Signed with the current key, the one that signs ID tokens.
    expect(protectedHeader.kid).toBe(decodeProtectedHeader(tokens.id_token!).kid);
    expect(payload).toMatchObject({ iss: server.url, aud: LOYALTY, sub, client_id: shop.config.clientMetadata().client_id, scope: 'points:read' });
    expect(payload.exp! - payload.iat!).toBe(600);
    // A token for the API is not one for userinfo.
    expect(await refusal(shop.userinfo(tokens.access_token, sub))).toBe('invalid_token');

    // The same grant, refreshed without `resource`: the opaque userinfo token, as before.
    const plain = await shop.refresh(tokens.refresh_token!);
    expect(isJwt(plain.access_token)).toBe(false);
    expect((await shop.userinfo(plain.access_token, sub)).email).toBe(CUSTOMER.email);
    expect(await oidc.tokenIntrospection(shop.config, plain.access_token)).toMatchObject({ active: true, sub });
    // And refreshed for the resource: a JWT again.
    const again = await oidc.refreshTokenGrant(shop.config, plain.refresh_token!, { resource: LOYALTY });
    expect((await verify(again.access_token)).payload).toMatchObject({ sub, aud: LOYALTY, scope: 'points:read' });

    // A code redeemed without `resource` (openid asked for): the userinfo token.
    const second = await agent.follow(await shop.authorizationUrl({ scope: 'openid email points:read', resource: LOYALTY }), server.url);
    const forUserinfo = await shop.callback(second.url);
    expect(isJwt(forUserinfo.access_token)).toBe(false);
    expect((await shop.userinfo(forUserinfo.access_token, sub)).email).toBe(CUSTOMER.email);
  });

  it('shows a third-party client’s resource scopes on the consent screen, and grants them once allowed', async () => {
    const partnerClient = (await server.api('POST', '/clients', { client_name: 'Partner app', redirect_uris: [REDIRECT] })).body;
    const current = (await server.api('GET', `/resource-servers/${loyaltyId}`)).body.allowed_clients as string[];
    expect((await server.api('PATCH', `/resource-servers/${loyaltyId}`, { allowed_clients: [...current, partnerClient.client_id] })).status).toBe(200);
    const partner = await RelyingParty.discover(server.url, partnerClient.client_id, partnerClient.client_secret, REDIRECT);
    const agent = new CookieAgent();
    const consentUrl = await agent.authorize(await partner.authorizationUrl({ scope: 'openid points:write', resource: LOYALTY }), server.url, CUSTOMER);
    expect(consentUrl).toMatch(new RegExp(`^${server.url}/login/`));
    const page = await agent.follow(consentUrl, server.url);
    const html = await page.response.text();
    expect(html).toContain('Partner app');
    expect(html).toContain('points:write');
    const allowed = await agent.postForm(`${consentUrl}/consent`, { csrf: csrfOf(html), decision: 'allow' });
    const landed = await agent.follow(new URL(allowed.headers.get('location')!, server.url).toString(), server.url);
    const tokens = await partner.callback(landed.url, { resource: LOYALTY });
    expect((await verify(tokens.access_token)).payload).toMatchObject({ aud: LOYALTY, scope: 'points:write', client_id: partnerClient.client_id });
  });

  it('refuses a scope the resource does not define, at the token and the authorization endpoint', async () => {
    expect(await refusal(oidc.clientCredentialsGrant(machine, { scope: 'points:read points:delete', resource: LOYALTY }))).toBe('invalid_scope');
    // Portvakt's own scopes belong to no resource: not silently dropped from a machine token either.
    expect(await refusal(oidc.clientCredentialsGrant(machine, { scope: 'points:read email', resource: LOYALTY }))).toBe('invalid_scope');
    const landing = await new CookieAgent().follow(await shop.authorizationUrl({ scope: 'openid points:delete', resource: LOYALTY }), server.url);
    const answer = new URL(landing.url);
    expect(`${answer.origin}${answer.pathname}`).toBe(REDIRECT);
    expect(answer.searchParams.get('error')).toBe('invalid_scope');
    expect(answer.searchParams.get('code')).toBeNull();
  });

  it('refuses a client the resource does not allow, and an unknown resource, with invalid_target', async () => {
    expect(await refusal(oidc.clientCredentialsGrant(outsider, { scope: 'points:read', resource: LOYALTY }))).toBe('invalid_target');
    expect(await refusal(oidc.clientCredentialsGrant(machine, { resource: 'https://unknown.example/api' }))).toBe('invalid_target');
    expect(await refusal(oidc.clientCredentialsGrant(machine, { resource: 'not a uri' }))).toBe('invalid_target');
    expect(await refusal(oidc.clientCredentialsGrant(machine, { resource: `${LOYALTY}#fragment` }))).toBe('invalid_target');
    expect(await refusal(oidc.clientCredentialsGrant(machine, { resource: `${LOYALTY}/${'x'.repeat(5000)}` }))).toBe('invalid_target');
    // One resource per token: two named, both allowed, is refused too.
    const second = 'https://second.example/api';
    expect((await server.api('POST', '/resource-servers', { identifier: second, name: 'Second', allowed_clients: [machine.clientMetadata().client_id] })).status).toBe(201);
    expect(await refusal(oidc.clientCredentialsGrant(machine, new URLSearchParams([['resource', LOYALTY], ['resource', second]])))).toBe('invalid_target');
    const landing = await new CookieAgent().follow(await shop.authorizationUrl({ scope: 'openid', resource: 'https://unknown.example/api' }), server.url);
    expect(new URL(landing.url).searchParams.get('error')).toBe('invalid_target');
  });

  it('keeps opaque tokens introspectable: without resource, and for a resource of format opaque', async () => {
    const plain = await oidc.clientCredentialsGrant(machine);
    expect(isJwt(plain.access_token)).toBe(false);
    expect(await oidc.tokenIntrospection(machine, plain.access_token)).toMatchObject({ active: true });

    // The API itself, registered as a client, introspects the tokens issued for it; no other client does.
    const api = await machineClient('Points API');
    const points = 'https://points.example/api';
    const created = await server.api('POST', '/resource-servers', { identifier: points, name: 'Points', scopes: ['balance'], token_format: 'opaque', access_token_ttl: 120, allowed_clients: [machine.clientMetadata().client_id], introspection_clients: [api.id] });
    expect(created).toMatchObject({ status: 201, body: { introspection_clients: [api.id] } });
    const opaque = await oidc.clientCredentialsGrant(machine, { scope: 'balance', resource: points });
    expect(isJwt(opaque.access_token)).toBe(false);
    expect(opaque.expires_in).toBe(120);
    expect(await oidc.tokenIntrospection(machine, opaque.access_token)).toMatchObject({ active: true, aud: points, scope: 'balance' });
    expect(await oidc.tokenIntrospection(api.config, opaque.access_token)).toMatchObject({ active: true, aud: points, scope: 'balance', client_id: machine.clientMetadata().client_id });
    expect(await oidc.tokenIntrospection(outsider, opaque.access_token)).toEqual({ active: false });
    // Not a token for it: the API's client learns nothing about it.
    expect(await oidc.tokenIntrospection(api.config, plain.access_token)).toEqual({ active: false });
    await oidc.tokenRevocation(machine, opaque.access_token);
    expect(await oidc.tokenIntrospection(api.config, opaque.access_token)).toEqual({ active: false });
  });

  it('applies a change at once: a new lifetime, a format, a client taken off the list', async () => {
    const machineId = machine.clientMetadata().client_id;
    const patched = await server.api('PATCH', `/resource-servers/${loyaltyId}`, { access_token_ttl: 300 });
    expect(patched).toMatchObject({ status: 200, body: { access_token_ttl: 300, identifier: LOYALTY } });
    const shorter = await oidc.clientCredentialsGrant(machine, { resource: LOYALTY });
    const { payload } = await verify(shorter.access_token);
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.scope).toBeUndefined();

    const current = (await server.api('GET', `/resource-servers/${loyaltyId}`)).body.allowed_clients as string[];
    expect((await server.api('PATCH', `/resource-servers/${loyaltyId}`, { allowed_clients: current.filter((id) => id !== machineId) })).status).toBe(200);
    expect(await refusal(oidc.clientCredentialsGrant(machine, { resource: LOYALTY }))).toBe('invalid_target');
    expect((await server.api('PATCH', `/resource-servers/${loyaltyId}`, { allowed_clients: current })).status).toBe(200);
    expect(decodeProtectedHeader((await oidc.clientCredentialsGrant(machine, { resource: LOYALTY })).access_token).typ).toBe('at+jwt');
  });

  it('refuses bad input on every field with a stable error and writes nothing', async () => {
    const before = await count();
    const machineId = machine.clientMetadata().client_id;
    const base = { identifier: 'https://other.example/api', name: 'Other', scopes: ['read'], token_format: 'jwt', access_token_ttl: 600, allowed_clients: [machineId] };
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ ...base, identifier: 'not a uri' }, 400, 'invalid_identifier'],
      [{ ...base, identifier: 'https://other.example/api#part' }, 400, 'invalid_identifier'],
      [{ ...base, identifier: 'ftp://other.example/api' }, 400, 'invalid_identifier'],
      [{ ...base, identifier: 'https://user:pw@other.example/api' }, 400, 'invalid_identifier'],
      [{ ...base, identifier: 'https://other.example/ api' }, 400, 'invalid_identifier'],
      [{ ...base, identifier: '' }, 400, 'validation_failed'],
      [{ ...base, identifier: `https://other.example/${'x'.repeat(1000)}` }, 400, 'validation_failed'],
      [{ ...base, identifier: LOYALTY }, 409, 'identifier_taken'],
      [{ ...base, allowed_clients: [machineId, 'no-such-client'] }, 400, 'unknown_client'],
      [{ ...base, allowed_clients: [machineId, machineId] }, 400, 'validation_failed'],
      [{ ...base, introspection_clients: ['no-such-client'] }, 400, 'unknown_client'],
      [{ ...base, introspection_clients: 'x' }, 400, 'validation_failed'],
      [{ ...base, access_token_ttl: 59 }, 400, 'validation_failed'],
      [{ ...base, access_token_ttl: 86_401 }, 400, 'validation_failed'],
      [{ ...base, access_token_ttl: 90.5 }, 400, 'validation_failed'],
      [{ ...base, access_token_ttl: '600' }, 400, 'validation_failed'],
      [{ ...base, token_format: 'saml' }, 400, 'validation_failed'],
      [{ ...base, scopes: ['openid'] }, 400, 'reserved_scope'],
      [{ ...base, scopes: ['portvakt:admin'] }, 400, 'reserved_scope'],
      [{ ...base, scopes: ['two words'] }, 400, 'validation_failed'],
      [{ ...base, scopes: ['read', 'read'] }, 400, 'validation_failed'],
      [{ ...base, scopes: [{ value: 'read', note: 'x' }] }, 400, 'unknown_field'],
      [{ ...base, name: '' }, 400, 'validation_failed'],
      [{ ...base, audience: 'x' }, 400, 'unknown_field'],
      [{ name: 'No identifier' }, 400, 'validation_failed'],
    ];
    for (const [body, status, error] of cases) {
      const answer = await server.api('POST', '/resource-servers', body);
      expect({ body, status: answer.status, error: answer.body?.error }).toEqual({ body, status, error });
    }
    const patches: Array<[Record<string, unknown>, number, string]> = [
      [{ identifier: 'https://moved.example/api' }, 400, 'unknown_field'],
      [{ access_token_ttl: 0 }, 400, 'validation_failed'],
      [{ allowed_clients: ['no-such-client'] }, 400, 'unknown_client'],
      [{ scopes: ['email'] }, 400, 'reserved_scope'],
    ];
    for (const [body, status, error] of patches) {
      const answer = await server.api('PATCH', `/resource-servers/${loyaltyId}`, body);
      expect({ body, status: answer.status, error: answer.body?.error }).toEqual({ body, status, error });
    }
    expect((await server.api('GET', `/resource-servers/${loyaltyId}`)).body).toMatchObject({ identifier: LOYALTY, scopes: [{ value: 'points:read' }, { value: 'points:write' }], access_token_ttl: 300 });
    expect((await server.api('PATCH', '/resource-servers/nope', { name: 'x' })).status).toBe(404);
    expect((await server.api('GET', '/resource-servers/nope')).body.error).toBe('not_found');
    expect((await server.api('DELETE', '/resource-servers/nope')).status).toBe(404);
    expect((await server.api('GET', '/resource-servers?limit=0')).status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('stops issuing tokens for a deleted resource server, and frees its identifier', async () => {
    const created = await server.api('POST', '/resource-servers', { identifier: 'http://127.0.0.1:9/local-api', name: 'Local', allowed_clients: [machine.clientMetadata().client_id] });
    expect(created).toMatchObject({ status: 201, body: { token_format: 'jwt', access_token_ttl: 3600, scopes: [] } });
    const token = await oidc.clientCredentialsGrant(machine, { resource: 'http://127.0.0.1:9/local-api' });
    expect((await verify(token.access_token, 'http://127.0.0.1:9/local-api')).payload.aud).toBe('http://127.0.0.1:9/local-api');
    expect((await server.api('DELETE', `/resource-servers/${created.body.id}`)).status).toBe(204);
    expect(await refusal(oidc.clientCredentialsGrant(machine, { resource: 'http://127.0.0.1:9/local-api' }))).toBe('invalid_target');
    expect((await server.api('POST', '/resource-servers', { identifier: 'http://127.0.0.1:9/local-api', name: 'Local again' })).status).toBe(201);
    const actions = (await server.portvakt.store.db.selectFrom('audit_log').select('action').where('subject_id', '=', created.body.id).execute()).map((row) => row.action);
    expect(actions).toEqual(['resource_server.created', 'resource_server.deleted']);
  });
});
