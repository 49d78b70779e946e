import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CUSTOMER = { email: 'erik@example.se', password: 'a long enough passphrase' };

async function expectInvalidGrant(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(oidc.ResponseBodyError);
  expect((error as oidc.ResponseBodyError).error).toBe('invalid_grant');
}

describe.each(DIALECTS)('tokens across rotation, reuse and restarts on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  const agent = new CookieAgent();

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    const created = await server.api('POST', '/clients', { client_name: 'App', redirect_uris: [REDIRECT], first_party: true, token_endpoint_auth_method: 'none' });
    rp = await RelyingParty.discover(server.url, created.body.client_id, undefined, REDIRECT);
    await server.api('POST', '/customers', CUSTOMER);
  });
  afterAll(() => server?.stop());

  it('rotates refresh tokens and revokes the grant when a rotated-out token is replayed', async () => {
    const first = await rp.callback(await agent.authorize(await rp.authorizationUrl(), server.url, CUSTOMER));
    const second = await rp.refresh(first.refresh_token!);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const third = await rp.refresh(second.refresh_token!);
    expect(third.access_token).toBeTruthy();

    await expectInvalidGrant(rp.refresh(first.refresh_token!));
    await expectInvalidGrant(rp.refresh(third.refresh_token!));
    const introspected = await oidc.tokenIntrospection(rp.config, third.access_token);
    expect(introspected.active).toBe(false);
  });

  it('keeps customers, sessions and tokens through a restart on the same database', async () => {
    const before = await rp.callback(await agent.authorize(await rp.authorizationUrl(), server.url, CUSTOMER));
    await server.restart();

    const jwks = createRemoteJWKSet(new URL(rp.jwksUri));
    await jwtVerify(before.id_token!, jwks, { issuer: server.url });
    expect((await rp.userinfo(before.access_token, before.claims()!.sub)).email).toBe(CUSTOMER.email);
    expect((await rp.refresh(before.refresh_token!)).access_token).toBeTruthy();

    const sso = await agent.follow(await rp.authorizationUrl(), server.url);
    expect(sso.url.startsWith(`${REDIRECT}?code=`)).toBe(true);
    const fresh = new CookieAgent();
    const signedIn = await fresh.authorize(await rp.authorizationUrl(), server.url, CUSTOMER);
    expect((await rp.callback(signedIn)).claims()!.sub).toBe(before.claims()!.sub);
  });

  it.each(['disabling', 'deleting'])('ends every session and token of a customer on %s', async (action) => {
    const email = `${action}@example.se`;
    const created = (await server.api('POST', '/customers', { email, password: CUSTOMER.password })).body;
    const browser = new CookieAgent();
    const tokens = await rp.callback(await browser.authorize(await rp.authorizationUrl(), server.url, { email, password: CUSTOMER.password }));
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);

    const answer = action === 'disabling'
      ? await server.api('PATCH', `/customers/${created.id}`, { status: 'disabled' })
      : await server.api('DELETE', `/customers/${created.id}`);
    expect(answer.status).toBeLessThan(300);

    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    await expectInvalidGrant(rp.refresh(tokens.refresh_token!));
    const next = await browser.follow(await rp.authorizationUrl(), server.url);
    expect(next.url).toMatch(new RegExp(`^${server.url}/login/`));
    const rows = await server.portvakt.store.db.selectFrom('oidc_artifacts').select('model').where('account_id', '=', created.id).execute();
    expect(rows).toEqual([]);
  });

  it('rotates signing keys with overlap: old tokens verify, new ones use the new key', async () => {
    const before = await rp.callback(await agent.authorize(await rp.authorizationUrl(), server.url, CUSTOMER));
    const oldKid = decodeProtectedHeader(before.id_token!).kid;
    const { added, retired } = await server.portvakt.keys.rotate(3600);
    expect(retired).toContain(oldKid);
    expect(await server.portvakt.host.refreshKeys()).toBe(true);

    const published = (await (await fetch(rp.jwksUri)).json()) as { keys: Array<{ kid: string; d?: string }> };
    expect(published.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([...added, oldKid]));
    expect(published.keys.every((key) => key.d === undefined)).toBe(true);

    const after = await rp.callback(await agent.authorize(await rp.authorizationUrl(), server.url, CUSTOMER));
    const newKid = decodeProtectedHeader(after.id_token!).kid;
    expect(added).toContain(newKid);
    const jwks = createRemoteJWKSet(new URL(rp.jwksUri));
    await jwtVerify(before.id_token!, jwks, { issuer: server.url });
    await jwtVerify(after.id_token!, jwks, { issuer: server.url });
  });
});
