import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';
import { UpstreamIdp } from '../support/upstream-idp.ts';

const SECRET = 'upstream-client-secret-0123456789';
/** How long Portvakt waits for the upstream in these tests. */
const UPSTREAM_TIMEOUT_MS = 2000;

/**
 * "Continue with …" through a second, real OpenID provider: a new customer is registered with the
 * names the upstream gave (after confirming them), signs in directly the next time, and nothing is
 * joined silently to an existing account. Failures end on a page with a way back, creating nothing.
 */
describe.each(DIALECTS)('sign-in with an upstream OpenID provider on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: RelyingParty;
  let upstream: UpstreamIdp;

  beforeAll(async () => {
    ({ server, rp: shop } = await startWithShop(dialect, { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) }));
    upstream = await UpstreamIdp.start(['partner-id', 'entra', 'google'].map((key) => `${server.url}/login/upstream/callback/${key}`), SECRET);
    const created = await server.api('POST', '/connections', { key: 'partner-id', name: 'Partner ID', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET, trust_email_verified: true });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ redirect_uri: `${server.url}/login/upstream/callback/partner-id`, has_client_secret: true });
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
  });
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  /** From the shop's authorization request through the upstream and back: where Portvakt's browser lands. */
  async function continueWithUpstream(agent: CookieAgent, options: { via?: UpstreamIdp; connection?: string; from?: string; beforeReturn?: (callback: string) => Promise<string> } = {}) {
    const via = options.via ?? upstream;
    const landing = await agent.follow(options.from ?? (await shop.authorizationUrl({ scope: 'openid email profile' })), server.url);
    const page = await landing.response.text();
    expect(page).toMatch(/(Continue with|Fortsätt med) Partner ID/);
    const started = await agent.postForm(`${landing.url}/upstream`, { csrf: csrfOf(page), connection: options.connection ?? 'partner-id' });
    expect(started.status).toBe(303);
    const upstreamUrl = started.headers.get('location')!;
    expect(upstreamUrl.startsWith(via.issuer)).toBe(true);
    expect(new URL(upstreamUrl).searchParams.get('code_challenge_method')).toBe('S256');
    // The upstream has its own cookies: another agent, as another site in the same browser.
    const back = await new CookieAgent().follow(upstreamUrl, via.issuer);
    expect(back.url.startsWith(`${server.url}/login/upstream/callback/${options.connection ?? 'partner-id'}?`)).toBe(true);
    const callback = options.beforeReturn ? await options.beforeReturn(back.url) : back.url;
    return { callback, landing: await agent.follow(callback, server.url) };
  }

  const identities = async () => Number((await sql<{ n: number }>`select count(*) as n from identities`.execute(server.portvakt.store.db)).rows[0]!.n);
  const customers = async () => Number((await sql<{ n: number }>`select count(*) as n from customers`.execute(server.portvakt.store.db)).rows[0]!.n);

  it('registers a new customer with the prefilled names, completes the shop sign-in, and signs in directly the second time', async () => {
    upstream.deny = false;
    upstream.signedInAs = { sub: 'upstream-alice', email: 'Alice@Example.se', email_verified: true, given_name: 'Alice', family_name: 'Andersson', locale: 'sv' };
    const agent = new CookieAgent();
    const { callback, landing } = await continueWithUpstream(agent);
    expect(landing.url).toMatch(/\/login\/[^/]+\/upstream\/confirm$/);
    const confirm = await landing.response.text();
    expect(confirm).toContain('value="Alice"');
    expect(confirm).toContain('value="Andersson"');
    expect(confirm).toContain('alice@example.se');
    const done = await agent.postForm(landing.url, { csrf: csrfOf(confirm), given_name: 'Alice', family_name: 'Andersson-Berg' });
    const landed = await agent.follow(new URL(done.headers.get('location')!, server.url).toString(), server.url);
    expect(landed.url).toMatch(/\/callback\?code=/);
    const tokens = await shop.callback(landed.url);
    expect(tokens.claims()).toMatchObject({ email: 'alice@example.se', email_verified: true, given_name: 'Alice', family_name: 'Andersson-Berg', amr: ['fed'] });
    const sub = tokens.claims()!.sub;

    // The answer cannot be used twice.
    expect((await agent.follow(callback, server.url)).response.status).toBeGreaterThanOrEqual(400);

    const second = await continueWithUpstream(new CookieAgent());
    expect(second.landing.url).toMatch(/\/callback\?code=/);
    expect((await shop.callback(second.landing.url)).claims()!.sub).toBe(sub);
    expect(await identities()).toBe(1);
  });

  /** The link page's sign-in, finished: follows the sign-in to the shop's callback and answers its claims. */
  async function finishAt(agent: CookieAgent, submitted: Response) {
    const landed = await agent.follow(new URL(submitted.headers.get('location')!, server.url).toString(), server.url);
    expect(landed.url).toMatch(/\/callback\?code=/);
    return (await shop.callback(landed.url)).claims()!;
  }

  it('links an upstream identity to an existing account only after the customer proves it, then both ways reach the same sub', async () => {
    await server.api('POST', '/customers', { email: 'bob@example.se', password: 'bob has a passphrase' });
    upstream.signedInAs = { sub: 'upstream-bob', email: 'bob@example.se', email_verified: true, given_name: 'Bob' };
    const [before, beforeCustomers] = [await identities(), await customers()];
    const agent = new CookieAgent();
    const { landing } = await continueWithUpstream(agent);
    // Never silently: the sign-in page, with the address filled in and why.
    expect(landing.url).toMatch(/\/login\/[^/]+\/upstream\/link$/);
    expect(landing.response.status).toBe(200);
    const page = await landing.response.text();
    expect(page).toContain('To sign in with Partner ID, first show it is you');
    expect(page).toContain('value="bob@example.se"');
    expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);

    // A wrong password proves nothing and links nothing.
    const flow = landing.url.replace(/\/upstream\/link$/, '');
    expect((await agent.postForm(`${flow}/password`, { csrf: csrfOf(page), email: 'bob@example.se', password: 'not bobs passphrase' })).status).toBe(401);
    expect(await identities()).toBe(before);
    const proven = await agent.postForm(`${flow}/password`, { csrf: csrfOf(page), email: 'bob@example.se', password: 'bob has a passphrase' });
    const claims = await finishAt(agent, proven);
    expect(claims.amr).toEqual(['pwd']);
    expect(await identities()).toBe(before + 1);
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select(['details', 'subject_id']).where('action', '=', 'identity.linked').execute();
    expect(audit.some((entry) => entry.subject_id === claims.sub && JSON.parse(entry.details).proven_by_sign_in === true)).toBe(true);
    // Bob is told, as for any new way into his account.
    expect((await waitForMessage(server.url, 'bob@example.se')).subject).toBe('An account elsewhere was connected to your Portvakt account');

    // Now "Continue with Partner ID" signs Bob straight in, and his password still does: one sub.
    const again = await continueWithUpstream(new CookieAgent());
    expect(again.landing.url).toMatch(/\/callback\?code=/);
    expect((await shop.callback(again.landing.url)).claims()!.sub).toBe(claims.sub);
    const byPassword = await new CookieAgent().authorize(await shop.authorizationUrl(), server.url, { email: 'bob@example.se', password: 'bob has a passphrase' });
    expect((await shop.callback(byPassword)).claims()!.sub).toBe(claims.sub);
    expect(await customers()).toBe(beforeCustomers);
  });

  it('never links or creates from an address the upstream does not vouch for, and its page says nothing about who has an account', async () => {
    await server.api('POST', '/customers', { email: 'eve@example.se', password: 'eve has her own passphrase' });
    const pages: string[] = [];
    for (const email of ['victim@example.se', 'bob@example.se']) {
      upstream.signedInAs = { sub: 'upstream-mallory', email, email_verified: false };
      const [before, beforeCustomers] = [await identities(), await customers()];
      const agent = new CookieAgent();
      const { landing } = await continueWithUpstream(agent);
      expect(landing.url).toMatch(/\/upstream\/link$/);
      const page = await landing.response.text();
      pages.push(page.replaceAll(email, 'ADDRESS').replace(/name="csrf" value="[^"]+"/g, '').replace(/\/login\/[A-Za-z0-9_-]+/g, '/login/UID'));
      // Proving another account (Mallory's own) on this step signs nobody in and links nothing.
      const flow = landing.url.replace(/\/upstream\/link$/, '');
      const refused = await agent.postForm(`${flow}/password`, { csrf: csrfOf(page), email: 'eve@example.se', password: 'eve has her own passphrase' });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('location')).toBeNull();
      expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
      // Given up on connecting, she signs in as herself; the identity is not linked to her account.
      const cancelled = await agent.postForm(`${flow}/upstream/link/cancel`, { csrf: csrfOf(page) });
      expect(cancelled.headers.get('location')).toBe(new URL(flow).pathname);
      const claims = await finishAt(agent, await agent.postForm(`${flow}/password`, { csrf: csrfOf(page), email: 'eve@example.se', password: 'eve has her own passphrase' }));
      expect(claims.email).toBe('eve@example.se');
      expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
    }
    // The same page whether or not the address has an account here.
    expect(pages[0]).toBe(pages[1]);
  });

  it('links an identity whose address nobody vouched for only after a code sent to the address, never after a password alone', async () => {
    await server.api('POST', '/customers', { email: 'ivar@example.se', password: 'ivars own passphrase' });
    upstream.signedInAs = { sub: 'upstream-ivar', email: 'ivar@example.se', email_verified: false };
    const before = await identities();
    // Someone holding Ivar's password proves the account, not the address: the page offers only the
    // code, and a password posted anyway on this step signs nobody in (nothing would be linked).
    const withPassword = new CookieAgent();
    const first = await continueWithUpstream(withPassword);
    const page = await first.landing.response.text();
    expect(page).toContain('first confirm your e-mail address');
    expect(page).not.toContain('name="password"');
    expect(page).not.toMatch(/action="[^"]*\/passkey|data-passkey=/);
    expect(page).not.toContain('/sms');
    expect(page).not.toMatch(/action="[^"]*\/password"/);
    expect(page).toContain('value="ivar@example.se"');
    expect(page).toContain('Send a code to ivar@example.se');
    const flow = first.landing.url.replace(/\/upstream\/link$/, '');
    const refused = await withPassword.postForm(`${flow}/password`, { csrf: csrfOf(page), email: 'ivar@example.se', password: 'ivars own passphrase' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('confirm your e-mail address with a code');
    expect(await identities()).toBe(before);
    // In Swedish too.
    const swedish = await continueWithUpstream(new CookieAgent(), { from: await shop.authorizationUrl({ scope: 'openid email profile', ui_locales: 'sv' }) });
    const sv = await swedish.landing.response.text();
    expect(sv).toContain('Skicka en kod till ivar@example.se');
    expect(sv).not.toContain('name="password"');
    // A code to the address links it.
    const withCode = new CookieAgent();
    const second = await continueWithUpstream(withCode);
    const csrf = csrfOf(await second.landing.response.text());
    const codeFlow = second.landing.url.replace(/\/upstream\/link$/, '');
    await withCode.postForm(`${codeFlow}/email-code`, { csrf, intent: 'sign_in', email: 'ivar@example.se' });
    const message = await waitForMessage(server.url, 'ivar@example.se');
    const claims = await finishAt(withCode, await withCode.postForm(`${codeFlow}/email-code/verify`, { csrf, code: codeIn(message.body) }));
    expect(await identities()).toBe(before + 1);
    expect((await shop.callback((await continueWithUpstream(new CookieAgent())).landing.url)).claims()!.sub).toBe(claims.sub);
  });

  it('does not take names from the upstream that hold bidi controls or lone surrogates', async () => {
    upstream.signedInAs = { sub: 'upstream-spoofer', email: 'spoofer@example.se', email_verified: true, given_name: 'Mallory\u202egpj.exe', family_name: 'Half\ud800' };
    const { landing } = await continueWithUpstream(new CookieAgent());
    expect(landing.url).toMatch(/\/upstream\/confirm$/);
    const confirm = await landing.response.text();
    expect(confirm).toContain('name="given_name"');
    expect(confirm).not.toContain('Mallory');
    expect(confirm).not.toContain('Half');
  });

  it('refuses an answer that comes back at another connection\'s callback URL than the sign-in went to (mix-up)', async () => {
    upstream.signedInAs = { sub: 'upstream-mixup', email: 'mixup@example.se', email_verified: true };
    const [before, beforeCustomers] = [await identities(), await customers()];
    const { landing } = await continueWithUpstream(new CookieAgent(), { beforeReturn: async (callback) => callback.replace('/callback/partner-id?', '/callback/mixed-up?') });
    expect(landing.response.status).toBe(400);
    expect(await landing.response.text()).toContain('The answer from Partner ID could not be trusted');
    expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
  });

  it('creates an account from an address nobody vouched for once its holder enters a code sent to it, with the upstream names, and links the identity', async () => {
    upstream.signedInAs = { sub: 'upstream-frida', email: 'frida@example.se', email_verified: false, given_name: 'Frida', family_name: 'Fors' };
    const agent = new CookieAgent();
    const { landing } = await continueWithUpstream(agent);
    expect(landing.url).toMatch(/\/upstream\/link$/);
    const csrf = csrfOf(await landing.response.text());
    const flow = landing.url.replace(/\/upstream\/link$/, '');
    expect((await agent.postForm(`${flow}/email-code`, { csrf, intent: 'sign_in', email: 'frida@example.se' })).status).toBe(303);
    const message = await waitForMessage(server.url, 'frida@example.se');
    let verified = await agent.postForm(`${flow}/email-code/verify`, { csrf, code: codeIn(message.body) });
    if (verified.headers.get('location')?.endsWith('/passkey/offer')) verified = await agent.postForm(`${flow}/passkey/skip`, { csrf });
    const claims = await finishAt(agent, verified);
    expect(claims).toMatchObject({ email: 'frida@example.se', email_verified: true, given_name: 'Frida', family_name: 'Fors' });
    const again = await continueWithUpstream(new CookieAgent());
    expect((await shop.callback(again.landing.url)).claims()!.sub).toBe(claims.sub);
  });

  it('lists connected accounts under /account/connections and disconnects one, but never the last way in the customer set up', async () => {
    // Frida (previous test) signs in only with Partner ID: she has no password and no passkey.
    upstream.signedInAs = { sub: 'upstream-frida', email: 'frida@example.se', email_verified: false };
    const frida = new CookieAgent();
    const signedIn = await continueWithUpstream(frida, { from: `${server.url}/account/connections` });
    expect(signedIn.landing.url).toBe(`${server.url}/account/connections`);
    const page = await signedIn.landing.response.text();
    expect(page).toContain('Partner ID');
    const refused = await frida.postForm(`${server.url}/account/connections/partner-id/remove`, { csrf: csrfOf(page) });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('This is the only way to sign in you have set up');
    const fridaId = (await server.api('GET', '/customers?email=frida@example.se')).body.customers[0].id;
    const linkedTo = (customerId: string) => server.portvakt.store.db.selectFrom('identities').select('connection').where('customer_id', '=', customerId).execute();
    expect(await linkedTo(fridaId)).toHaveLength(1);

    // Bob has a password too: his Partner ID can go, and then it no longer signs him in by itself.
    const bob = new CookieAgent();
    expect(await bob.authorize(`${server.url}/account/connections`, server.url, { email: 'bob@example.se', password: 'bob has a passphrase' })).toBe(`${server.url}/account/connections`);
    const bobsPage = await (await bob.request(`${server.url}/account/connections`)).text();
    expect(bobsPage).toContain('Partner ID');
    expect((await bob.postForm(`${server.url}/account/connections/partner-id/remove`, { csrf: 'forged' })).status).toBe(403);
    const removed = await bob.postForm(`${server.url}/account/connections/partner-id/remove`, { csrf: csrfOf(bobsPage) });
    expect(removed.headers.get('location')).toBe('/account/connections?done=removed');
    const bobId = (await server.api('GET', '/customers?email=bob@example.se')).body.customers[0].id;
    expect(await linkedTo(bobId)).toHaveLength(0);
    expect((await bob.postForm(`${server.url}/account/connections/partner-id/remove`, { csrf: csrfOf(bobsPage) })).status).toBe(404);
    upstream.signedInAs = { sub: 'upstream-bob', email: 'bob@example.se', email_verified: true };
    expect((await continueWithUpstream(new CookieAgent())).landing.url).toMatch(/\/upstream\/link$/);
  });

  it('Google preset: its defaults (name, scopes, trusted verification) make a working connection', async () => {
    // The issuer is Google's unless a proxy is named; here the test provider stands in for it.
    const created = await server.api('POST', '/connections', { key: 'google', kind: 'google', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kind: 'google', name: 'Google', scopes: 'openid email profile', trust_email_verified: true });
    upstream.signedInAs = { sub: 'google-hanna', email: 'hanna@gmail.example', email_verified: true, given_name: 'Hanna' };
    const { landing } = await continueWithUpstream(new CookieAgent(), { connection: 'google' });
    expect(landing.url).toMatch(/\/upstream\/confirm$/);
    expect(await landing.response.text()).toContain('value="Hanna"');
    expect((await server.api('PATCH', '/connections/google', { enabled: false })).status).toBe(200);
  });

  it('Microsoft preset: only the tenants a connection allows sign in (the token\'s tid), and its unverified address is never trusted', async () => {
    const allowed = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const created = await server.api('POST', '/connections', { key: 'entra', kind: 'microsoft', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET, microsoft: { tenant: 'organizations', allowed_tenants: [allowed] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ name: 'Microsoft', trust_email_verified: false, microsoft: { tenant: 'organizations', allowed_tenants: [allowed] } });
    const [before, beforeCustomers] = [await identities(), await customers()];
    upstream.signedInAs = { sub: 'entra-gustav', email: 'gustav@contoso.example', email_verified: true, tid: '00000000-0000-0000-0000-000000000001' };
    const refused = await continueWithUpstream(new CookieAgent(), { connection: 'entra' });
    expect(refused.landing.response.status).toBe(403);
    expect(await refused.landing.response.text()).toContain('Accounts of your organisation cannot sign in here with Microsoft');
    expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
    // An allowed tenant gets through, but Microsoft does not verify addresses: the address is proven here first.
    upstream.signedInAs = { ...upstream.signedInAs, tid: allowed };
    const through = await continueWithUpstream(new CookieAgent(), { connection: 'entra' });
    expect(through.landing.url).toMatch(/\/upstream\/link$/);
    expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
    expect((await server.api('PATCH', '/connections/entra', { enabled: false })).status).toBe(200);
  });

  it('ends a refusal at the upstream on a page with a way back, creating nothing, and audits it', async () => {
    upstream.deny = true;
    const [before, beforeCustomers] = [await identities(), await customers()];
    const { landing } = await continueWithUpstream(new CookieAgent());
    expect(landing.response.status).toBe(400);
    const page = await landing.response.text();
    expect(page).toContain('You did not give Partner ID permission');
    expect(page).toMatch(/href="\/login\/[^"]+"/);
    expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select('details').where('action', '=', 'sign_in.upstream_failed').execute();
    expect(audit.map((entry) => JSON.parse(entry.details).reason)).toContain('denied');
    upstream.deny = false;
  });

  it('answers a forged state and an upstream that went down with a page, creating nothing', async () => {
    upstream.signedInAs = { sub: 'upstream-carol', email: 'carol@example.se', email_verified: true };
    const [before, beforeCustomers] = [await identities(), await customers()];
    // A forged answer (right interaction, wrong state) is refused and does not spoil the real one.
    const agent = new CookieAgent();
    const genuine = await continueWithUpstream(agent, {
      beforeReturn: async (callback) => {
        const url = new URL(callback);
        const [uid] = url.searchParams.get('state')!.split('.');
        url.searchParams.set('state', `${uid}.${'A'.repeat(43)}`);
        expect((await agent.follow(url.toString(), server.url)).response.status).toBe(400);
        return callback;
      },
    });
    expect(genuine.landing.url).toMatch(/\/upstream\/confirm$/);

    const flaky = await UpstreamIdp.start([`${server.url}/login/upstream/callback/flaky-id`], SECRET);
    flaky.signedInAs = { sub: 'flaky-dave', email: 'dave@example.se', email_verified: true };
    expect((await server.api('POST', '/connections', { key: 'flaky-id', name: 'Flaky ID', issuer: flaky.issuer, client_id: 'portvakt', client_secret: SECRET })).status).toBe(201);
    const down = await continueWithUpstream(new CookieAgent(), { via: flaky, connection: 'flaky-id', beforeReturn: async (callback) => (await flaky.close(), callback) });
    expect(down.landing.response.status).toBe(502);
    expect(await down.landing.response.text()).toContain('Flaky ID did not answer');
    expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
    expect((await server.api('PATCH', '/connections/flaky-id', { enabled: false })).body).toMatchObject({ enabled: false });
  });

  it('refuses an ID token with a signature the upstream does not publish, another issuer, or another sign-in\'s nonce, creating nothing', async () => {
    upstream.signedInAs = { sub: 'upstream-spoiled', email: 'spoiled@example.se', email_verified: true };
    const [before, beforeCustomers] = [await identities(), await customers()];
    for (const how of ['signature', 'issuer', 'nonce'] as const) {
      upstream.tamper = how;
      try {
        const { landing } = await continueWithUpstream(new CookieAgent());
        expect(landing.response.status, how).toBe(400);
        expect(await landing.response.text(), how).toContain('The answer from Partner ID could not be trusted');
      } finally {
        upstream.tamper = undefined;
      }
    }
    expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select('details').where('action', '=', 'sign_in.upstream_failed').orderBy('seq', 'desc').limit(3).execute();
    expect(audit.map((entry) => JSON.parse(entry.details).reason)).toEqual(['invalid', 'invalid', 'invalid']);
    // The audit entry keeps why (what openid-client found wrong), not only that it failed.
    for (const entry of audit) expect(JSON.parse(entry.details)).toMatchObject({ cause: 'invalid_response', detail: expect.stringMatching(/refused: .+/) });
    expect(JSON.parse(audit[0]!.details).detail).toMatch(/nonce/);
    // The genuine answer still works afterwards.
    expect((await continueWithUpstream(new CookieAgent())).landing.url).toMatch(/\/upstream\/confirm$/);
  });

  it('gives up on a slow upstream after the configured timeout with a page, creating nothing', async () => {
    upstream.signedInAs = { sub: 'upstream-slow', email: 'slow@example.se', email_verified: true };
    const [before, beforeCustomers] = [await identities(), await customers()];
    upstream.slowTokenMs = 15_000;
    try {
      let started = 0;
      const { landing } = await continueWithUpstream(new CookieAgent(), { beforeReturn: async (callback) => ((started = Date.now()), callback) });
      const waited = Date.now() - started;
      expect(landing.response.status).toBe(502);
      expect(await landing.response.text()).toContain('Partner ID did not answer');
      expect(waited).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS - 100);
      expect(waited).toBeLessThan(UPSTREAM_TIMEOUT_MS + 5000);
    } finally {
      upstream.slowTokenMs = 0;
    }
    expect([await identities(), await customers()]).toEqual([before, beforeCustomers]);
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select('details').where('action', '=', 'sign_in.upstream_failed').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(audit.details)).toMatchObject({ reason: 'unavailable', cause: 'timeout', detail: expect.stringMatching(/did not answer in time/) });
  });

  it('reaches no upstream on an internal address where calls out to internal networks are not allowed', async () => {
    const guarded = await startPortvakt(dialect, { OUTBOUND_ALLOW_INTERNAL: 'false' });
    try {
      const refused = await guarded.api('POST', '/connections', { key: 'partner-id', name: 'Partner ID', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: 'issuer_unreachable' });
    } finally {
      await guarded.stop();
    }
  });

  it('refuses a callback that belongs to no sign-in, and bad connection input', async () => {
    const agent = new CookieAgent();
    expect((await agent.request(`${server.url}/login/upstream/callback/partner-id?code=x&state=nothing`)).status).toBe(400);
    expect((await agent.request(`${server.url}/login/upstream/callback/Not%20A%20Key?code=x&state=nothing`)).status).toBe(400);
    // The buttons stay when the sign-in page is shown again after a mistake.
    const landing = await agent.follow(await shop.authorizationUrl(), server.url);
    const retry = await agent.postForm(`${landing.url}/email-code`, { csrf: csrfOf(await landing.response.text()), intent: 'sign_in', email: 'not an address' });
    expect(retry.status).toBe(400);
    expect(await retry.text()).toContain('Continue with Partner ID');
    // A start naming no connection, a malformed one or an unknown one: a 4xx page, no redirect anywhere.
    const fresh = await agent.follow(await shop.authorizationUrl(), server.url);
    const csrf = csrfOf(await fresh.response.text());
    for (const [fields, status] of [[{ csrf }, 400], [{ csrf, connection: 'Bad Key!' }, 400], [{ csrf, connection: 'no-such-idp' }, 404], [{ connection: 'partner-id' }, 403]] as const) {
      const answer = await agent.postForm(`${fresh.url}/upstream`, fields);
      expect(answer.status, JSON.stringify(fields)).toBe(status);
      expect(answer.headers.get('location')).toBeNull();
    }
    for (const body of [
      { key: 'nowhere', name: 'Nowhere', issuer: 'http://127.0.0.1:9', client_id: 'x' },
      { key: 'BAD', name: 'Bad', issuer: upstream.issuer, client_id: 'x' },
      { key: 'partner-id', name: 'Twice', issuer: upstream.issuer, client_id: 'x' },
      { key: 'noscope', name: 'No scope', issuer: upstream.issuer, client_id: 'x', scopes: 'email' },
    ]) {
      const answer = await server.api('POST', '/connections', body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
    expect((await server.api('DELETE', '/connections/partner-id')).body).toMatchObject({ error: 'connection_in_use' });
  });
});
