import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppleIdDouble } from '../support/apple-id-double.ts';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { MetaGraphDouble } from '../support/meta-graph-double.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT, startWithShop } from '../support/shop.ts';

const APP_ID = '1234567890123456';
const APP_SECRET = 'meta-app-secret-0123456789abcdef';

/**
 * The Meta (Facebook Login) preset against a local server shaped like Meta's dialog, token
 * endpoint and Graph API; and connections offered only at the clients and brands they list.
 */
describe.each(DIALECTS)('connection presets on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: RelyingParty;
  let meta: MetaGraphDouble;

  beforeAll(async () => {
    ({ server, rp: shop } = await startWithShop(dialect));
    meta = await MetaGraphDouble.start(APP_ID, APP_SECRET);
    const created = await server.api('POST', '/connections', { key: 'facebook', kind: 'meta', client_id: APP_ID, client_secret: APP_SECRET, trust_email_verified: true, meta: { endpoints: meta.endpoints } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kind: 'meta', name: 'Facebook', issuer: 'https://www.facebook.com', scopes: 'email public_profile', meta: { api_version: 'v21.0' }, clients: null, brands: null });
    expect(JSON.stringify(created.body)).not.toContain(APP_SECRET);
  });
  afterAll(async () => {
    await server?.stop();
    await meta?.close();
  });

  const count = async (table: 'identities' | 'customers') => Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(server.portvakt.store.db)).rows[0]!.n);

  /** The shop's sign-in page, "Continue with {name}" pressed, through the upstream and back. */
  async function continueWith(agent: CookieAgent, key: string, rp = shop) {
    const landing = await agent.follow(await rp.authorizationUrl({ scope: 'openid email profile' }), server.url);
    const page = await landing.response.text();
    const started = await agent.postForm(`${landing.url}/upstream`, { csrf: csrfOf(page), connection: key });
    expect(started.status).toBe(303);
    const dialog = new URL(started.headers.get('location')!);
    const back = await new CookieAgent().follow(dialog.toString(), dialog.origin);
    return { dialog, landing: await agent.follow(back.url, server.url) };
  }

  it('registers a customer with the name and e-mail from Graph /me (appsecret_proof checked), then signs in directly', async () => {
    meta.signedInAs = { id: '10160000000000001', name: 'Maja Meta', email: 'maja@example.se', first_name: 'Maja', last_name: 'Metasson' };
    const agent = new CookieAgent();
    const { dialog, landing } = await continueWith(agent, 'facebook');
    // Facebook Login's dialog, with PKCE and state, and no OpenID nonce.
    expect(`${dialog.origin}${dialog.pathname}`).toBe(meta.endpoints.authorization);
    expect(dialog.searchParams.get('code_challenge_method')).toBe('S256');
    expect(dialog.searchParams.get('scope')).toBe('email public_profile');
    expect(dialog.searchParams.get('state')).toBeTruthy();
    expect(landing.url).toMatch(/\/upstream\/confirm$/);
    const confirm = await landing.response.text();
    expect(confirm).toContain('value="Maja"');
    expect(confirm).toContain('value="Metasson"');
    expect(confirm).toContain('maja@example.se');
    expect(meta.meCalls.at(-1)).toEqual({ fields: 'id,name,email,first_name,last_name,picture', proofValid: true });
    const done = await agent.postForm(landing.url, { csrf: csrfOf(confirm), given_name: 'Maja', family_name: 'Metasson' });
    const landed = await agent.follow(new URL(done.headers.get('location')!, server.url).toString(), server.url);
    const claims = (await shop.callback(landed.url)).claims()!;
    expect(claims).toMatchObject({ email: 'maja@example.se', email_verified: true, given_name: 'Maja', family_name: 'Metasson', amr: ['fed'] });
    const identity = await server.portvakt.store.db.selectFrom('identities').selectAll().where('connection', '=', 'facebook').executeTakeFirstOrThrow();
    expect(identity).toMatchObject({ subject: '10160000000000001', customer_id: claims.sub });

    const again = await continueWith(new CookieAgent(), 'facebook');
    expect(again.landing.url).toMatch(/\/callback\?code=/);
    expect((await shop.callback(again.landing.url)).claims()!.sub).toBe(claims.sub);
  });

  it('refuses an answer when Meta refuses the app secret, and a "no" in the dialog, creating nothing', async () => {
    const [identities, customers] = [await count('identities'), await count('customers')];
    meta.signedInAs = { id: '10160000000000002', name: 'Nils', email: 'nils@example.se', first_name: 'Nils' };
    meta.deny = true;
    const denied = await continueWith(new CookieAgent(), 'facebook');
    expect(denied.landing.response.status).toBe(400);
    expect(await denied.landing.response.text()).toContain('You did not give Facebook permission');
    meta.deny = false;

    expect((await server.api('POST', '/connections', { key: 'facebook-wrong', kind: 'meta', name: 'Facebook (old secret)', client_id: APP_ID, client_secret: 'an-old-rotated-secret-0123456789', trust_email_verified: true, meta: { endpoints: meta.endpoints } })).status).toBe(201);
    const refused = await continueWith(new CookieAgent(), 'facebook-wrong');
    expect(refused.landing.response.status).toBe(400);
    expect(await refused.landing.response.text()).toContain('could not be trusted');
    expect([await count('identities'), await count('customers')]).toEqual([identities, customers]);
  });

  it('offers a connection only at the clients and brands it lists, and refuses a start at any other', async () => {
    const kiosk = (await server.api('POST', '/clients', { client_name: 'Kiosk', redirect_uris: [SHOP_REDIRECT], first_party: true, brand: 'hemma_el' })).body;
    const kioskRp = await RelyingParty.discover(server.url, kiosk.client_id, kiosk.client_secret, SHOP_REDIRECT);
    const buttons = async (rp: RelyingParty) => {
      const landing = await new CookieAgent().follow(await rp.authorizationUrl(), server.url);
      return [...(await landing.response.text()).matchAll(/name="connection" value="([^"]+)"/g)].map((match) => match[1]);
    };
    expect(await buttons(shop)).toEqual(['facebook', 'facebook-wrong']);

    const onlyKiosk = await server.api('PATCH', '/connections/facebook-wrong', { clients: [kiosk.client_id] });
    expect(onlyKiosk.body).toMatchObject({ clients: [kiosk.client_id] });
    expect(await server.api('PATCH', '/connections/facebook', { brands: ['hemma_el'] })).toMatchObject({ status: 200 });
    expect(await buttons(shop)).toEqual([]);
    expect(await buttons(kioskRp)).toEqual(['facebook', 'facebook-wrong']);

    // A start at a client the connection is not offered to is refused like an unknown connection.
    const agent = new CookieAgent();
    const landing = await agent.follow(await shop.authorizationUrl(), server.url);
    const started = await agent.postForm(`${landing.url}/upstream`, { csrf: csrfOf(await landing.response.text()), connection: 'facebook' });
    expect(started.status).toBe(404);
    expect(started.headers.get('location')).toBeNull();

    expect(await server.api('PATCH', '/connections/facebook', { brands: null })).toMatchObject({ status: 200 });
    expect(await buttons(shop)).toEqual(['facebook']);
  });

  it('Apple preset: form_post answer, a client secret signed as a JWT with the team key, the name taken from the first answer only', async () => {
    const teamKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const apple = await AppleIdDouble.start(teamKey.publicKey);
    try {
      const created = await server.api('POST', '/connections', {
        key: 'apple',
        kind: 'apple',
        issuer: apple.issuer,
        client_id: 'se.example.shop.web',
        apple: { team_id: 'ABCDE12345', key_id: 'KEY1234567', private_key: teamKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ kind: 'apple', name: 'Apple', scopes: 'openid email name', trust_email_verified: true, has_client_secret: true, apple: { team_id: 'ABCDE12345', key_id: 'KEY1234567' } });
      expect(JSON.stringify(created.body)).not.toContain('PRIVATE KEY');

      /** Through Apple's page, whose form posts the answer back to Portvakt's callback. */
      const viaApple = async (agent: CookieAgent) => {
        const landing = await agent.follow(await shop.authorizationUrl({ scope: 'openid email profile' }), server.url);
        const started = await agent.postForm(`${landing.url}/upstream`, { csrf: csrfOf(await landing.response.text()), connection: 'apple' });
        const authorize = new URL(started.headers.get('location')!);
        expect(authorize.searchParams.get('response_mode')).toBe('form_post');
        const page = await (await new CookieAgent().request(authorize.toString())).text();
        const action = /action="([^"]+)"/.exec(page)![1]!;
        expect(action).toBe(`${server.url}/login/upstream/callback/apple`);
        const fields = Object.fromEntries([...page.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!.replaceAll('&quot;', '"').replaceAll('&amp;', '&')]));
        const posted = await agent.postForm(action, fields);
        expect(posted.status).toBe(303);
        // The posted answer is held with the sign-in: the code and the name never travel in a URL.
        expect(posted.headers.get('location')).toMatch(/^\/login\/[A-Za-z0-9_-]+\/upstream\/return\/apple$/);
        expect((await agent.postForm(action, fields)).status).toBe(400);
        return { fields, landing: await agent.follow(new URL(posted.headers.get('location')!, server.url).toString(), server.url) };
      };

      apple.signedInAs = { sub: '001234.abcdef0123456789.1234', email: 'ada@privaterelay.appleid.com', firstName: 'Ada', lastName: 'Äpple' };
      const agent = new CookieAgent();
      const first = await viaApple(agent);
      expect(first.fields.user).toContain('Ada');
      expect(first.landing.url).toMatch(/\/upstream\/confirm$/);
      const confirm = await first.landing.response.text();
      expect(confirm).toContain('value="Ada"');
      expect(confirm).toContain('value="Äpple"');
      const done = await agent.postForm(first.landing.url, { csrf: csrfOf(confirm), given_name: 'Ada', family_name: 'Äpple' });
      const landed = await agent.follow(new URL(done.headers.get('location')!, server.url).toString(), server.url);
      const claims = (await shop.callback(landed.url)).claims()!;
      expect(claims).toMatchObject({ email: 'ada@privaterelay.appleid.com', email_verified: true, given_name: 'Ada', family_name: 'Äpple' });
      expect(apple.secrets.at(-1)).toMatchObject({ valid: true, header: { alg: 'ES256', kid: 'KEY1234567' }, claims: { iss: 'ABCDE12345', sub: 'se.example.shop.web', aud: 'https://appleid.apple.com' } });

      // The second answer has no name: the identity is known, so it signs in directly.
      const second = await viaApple(new CookieAgent());
      expect(second.fields.user).toBeUndefined();
      expect((await shop.callback(second.landing.url)).claims()!.sub).toBe(claims.sub);
    } finally {
      await apple.close();
    }
  });

  it('answers bad preset input with a clear 4xx', async () => {
    for (const body of [
      { key: 'g1', kind: 'google' },
      { key: 'a1', kind: 'apple', client_id: 'se.example.shop' },
      { key: 'a2', kind: 'apple', client_id: 'se.example.shop', apple: { team_id: 'ABCDE12345', key_id: 'KEY1234567', private_key: 'x'.repeat(200) } },
      { key: 'a3', kind: 'apple', client_id: 'se.example.shop', client_secret: 'plain', apple: { team_id: 'ABCDE12345', key_id: 'KEY1234567', private_key: 'x'.repeat(200) } },
      { key: 'm1', kind: 'meta', client_id: APP_ID, meta: { endpoints: meta.endpoints } },
      { key: 'm2', kind: 'meta', client_id: APP_ID, client_secret: 's', issuer: 'https://example.com', meta: { endpoints: meta.endpoints } },
      { key: 'm3', kind: 'oidc', name: 'X', issuer: 'https://example.com', client_id: 'x', meta: { api_version: 'v21.0' } },
      { key: 'ms1', kind: 'microsoft', client_id: 'x', microsoft: { tenant: 'not-a-tenant' } },
      { key: 'o1', kind: 'oidc', client_id: 'x', name: 'No issuer' },
      { key: 'c1', kind: 'meta', client_id: APP_ID, client_secret: 's', clients: [], meta: { endpoints: meta.endpoints } },
      { key: 'b1', kind: 'meta', client_id: APP_ID, client_secret: 's', brands: ['Bad Brand'], meta: { endpoints: meta.endpoints } },
    ]) {
      const answer = await server.api('POST', '/connections', body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
      expect(answer.body.error).toBeTruthy();
    }
    expect((await server.api('PATCH', '/connections/facebook', { apple: { team_id: 'ABCDE12345', key_id: 'KEY1234567', private_key: 'x'.repeat(200) } })).status).toBe(400);
    expect((await server.api('PATCH', '/connections/facebook', { scopes: 'email "quoted"' })).status).toBe(400);
  });
});
