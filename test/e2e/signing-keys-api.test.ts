import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

const CUSTOMER = { email: 'nyckel@example.se', password: 'a passphrase across keys' };

/**
 * Signing keys through the management API: listed without key material, rotated as
 * `portvakt keys rotate` does (one service), and this node signs with the new key at once — no
 * refresh timer (KEY_REFRESH_SECONDS is an hour here) and no test hook in between.
 */
describe.each(DIALECTS)('signing keys through the management API on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  let agentKey: string;

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect, { KEY_REFRESH_SECONDS: '3600' }));
    await server.api('POST', '/customers', CUSTOMER);
    agentKey = (await server.api('POST', '/api-keys', { name: 'Kundtjänst', role: 'agent' })).body.key;
  });
  afterAll(() => server?.stop());

  const published = async () => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    return ((await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
  };
  const idToken = async () => (await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, CUSTOMER))).id_token!;

  it('lists the keys without key material, rotates them, and signs with the new key at once while the old still verifies', async () => {
    const before = await server.api('GET', '/signing-keys');
    expect(before.status).toBe(200);
    expect(before.body.signing_keys.map((key: { alg: string; state: string }) => [key.alg, key.state]).sort()).toEqual([['ES256', 'active'], ['RS256', 'active']]);
    for (const key of before.body.signing_keys) expect(Object.keys(key).sort()).toEqual(['alg', 'created_at', 'expires_at', 'kid', 'kty', 'retired_at', 'state', 'use']);
    const oldKids = before.body.signing_keys.map((key: { kid: string }) => key.kid);
    const oldToken = await idToken();
    expect(oldKids).toContain(decodeProtectedHeader(oldToken).kid);

    const rotated = await server.api('POST', '/signing-keys/rotate');
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect([...rotated.body.retired].sort()).toEqual([...oldKids].sort());
    expect(rotated.body.added).toHaveLength(2);
    expect(rotated.body.retired_published_for_seconds).toBeGreaterThan(86_400);

    // Discovery's JWKS has both pairs, and new tokens carry a new kid: no wait, no refresh call.
    expect((await published()).sort()).toEqual([...rotated.body.added, ...oldKids].sort());
    const newToken = await idToken();
    expect(rotated.body.added).toContain(decodeProtectedHeader(newToken).kid);
    const jwks = createRemoteJWKSet(new URL(rp.jwksUri));
    await jwtVerify(newToken, jwks, { issuer: server.url });
    await jwtVerify(oldToken, jwks, { issuer: server.url });

    const after = (await server.api('GET', '/signing-keys')).body.signing_keys;
    expect(after.slice(0, 2).map((key: { kid: string; state: string }) => [key.kid, key.state]).sort()).toEqual(rotated.body.added.map((kid: string) => [kid, 'active']).sort());
    const now = Math.floor(Date.now() / 1000);
    for (const key of after.slice(2)) {
      expect(oldKids).toContain(key.kid);
      expect(key.state).toBe('retired');
      expect(key.retired_at).toBeGreaterThanOrEqual(now - 60);
      expect(key.expires_at - key.retired_at).toBe(rotated.body.retired_published_for_seconds);
    }

    const entry = await server.portvakt.store.db.selectFrom('audit_log').select(['actor_type', 'actor_id', 'details']).where('action', '=', 'signing_keys.rotated').executeTakeFirstOrThrow();
    expect({ ...entry, details: JSON.parse(entry.details) }).toMatchObject({ actor_type: 'operator', actor_id: 'admin-key', details: { added: rotated.body.added } });
    expect(JSON.parse(entry.details).retired.sort()).toEqual([...oldKids].sort());
  });

  it('lets only an admin list or rotate, and marks the rotation as sensitive', async () => {
    const kids = await published();
    for (const [method, path] of [['GET', '/signing-keys'], ['POST', '/signing-keys/rotate']]) {
      const refused = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${agentKey}` } });
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toBe('forbidden');
    }
    expect(await published()).toEqual(kids);
    const document = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(document.paths['/api/v1/signing-keys/rotate']!.post!['x-sensitive']).toBe(true);
    expect(document.paths['/api/v1/signing-keys']!.get!['x-sensitive']).toBeUndefined();
  });
});
