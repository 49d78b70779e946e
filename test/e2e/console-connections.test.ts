import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOperator, consoleTeam, type ConsoleOperator } from '../support/console-operator.ts';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { UpstreamIdp } from '../support/upstream-idp.ts';

const SECRET = 'upstream-client-secret-0123456789';
const KEYS = ['partner', 'partner2', 'gone'];

/** Sign-in connections in the administrator's console over HTTP, on both dialects: added from a preset, tested by a real sign-in at the provider, turned on and off, removed. */
describe.each(DIALECTS)('console sign-in connections on %s', (dialect) => {
  let server: RunningPortvakt;
  let upstream: UpstreamIdp;
  let admin: ConsoleOperator;
  let agent: ConsoleOperator;
  let privacy: ConsoleOperator;

  beforeAll(async () => {
    server = await startPortvakt(dialect, { UPSTREAM_TIMEOUT_MS: '2000' });
    upstream = await UpstreamIdp.start(KEYS.map((key) => `${server.url}/login/upstream/callback/${key}`), SECRET);
    ({ admin, agent, privacy } = await consoleTeam(server));
  });
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  const connections = async () => (await server.api('GET', '/connections')).body.connections as Array<{ key: string; name: string; enabled: boolean; has_client_secret: boolean; client_id: string }>;
  const count = async (table: 'customers' | 'identities') => Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(server.portvakt.store.db)).rows[0]!.n);
  const auditCount = async () => Number((await server.portvakt.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  /** "Test this connection" from the console through the provider and back: the result page. */
  async function testConnection(key: string) {
    const started = await admin.post(`/console/connections/${key}/test`, {}, `/console/connections/${key}`);
    expect(started.status, started.html.slice(0, 1500)).toBe(303);
    expect(started.location!.startsWith(`${upstream.issuer}/`)).toBe(true);
    const asked = new URL(started.location!);
    expect(asked.searchParams.get('redirect_uri')).toBe(`${server.url}/login/upstream/callback/${key}`);
    expect(asked.searchParams.get('code_challenge_method')).toBe('S256');
    // The provider has its own cookies: another agent, as another site in the same browser.
    const back = await new CookieAgent().follow(started.location!, upstream.issuer);
    expect(back.url.startsWith(`${server.url}/login/upstream/callback/${key}?`)).toBe(true);
    const landing = await admin.agent.request(back.url);
    expect(landing.status).toBe(200);
    const html = await landing.text();
    const resultPath = /<a class="button primary inline" data-follow href="([^"]+)"/.exec(html)![1]!;
    expect(resultPath).toMatch(new RegExp(`^/console/connections/${key}/tests/[A-Za-z0-9_-]{22}$`));
    return { resultPath, result: await admin.page(resultPath) };
  }

  it('offers the presets and the fields each needs', async () => {
    expect((await admin.page('/console/connections')).html).toContain('No sign-in connections yet');
    const choose = await admin.page('/console/connections/new');
    for (const kind of ['google', 'apple', 'microsoft', 'meta', 'oidc']) expect(choose.html).toContain(`href="/console/connections/new?kind=${kind}"`);
    const google = await admin.page('/console/connections/new?kind=google');
    expect(google.html).toContain('name="client_secret" type="password"');
    expect(google.html).not.toContain('name="issuer"');
    expect(google.html).toContain('value="google"');
    expect(google.html).toMatch(/id="field-trust_email_verified" name="trust_email_verified" value="on" checked/);
    const apple = await admin.page('/console/connections/new?kind=apple');
    for (const field of ['team_id', 'key_id', 'private_key']) expect(apple.html).toContain(`name="${field}"`);
    expect(apple.html).not.toContain('name="client_secret"');
    expect((await admin.page('/console/connections/new?kind=microsoft')).html).toContain('name="tenant"');
    expect((await admin.page('/console/connections/new?kind=meta')).html).toContain('name="api_version"');
    expect((await admin.page('/console/connections/new?kind=oidc')).html).toContain('name="issuer"');
  });

  it('adds a connection (off), never shows its secret, and tests it by a real sign-in at the provider that signs nobody in', async () => {
    const added = await admin.post('/console/connections/new', { kind: 'oidc', key: 'partner', name: 'Partner ID', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET, trust_email_verified: 'on' }, '/console/connections/new?kind=oidc');
    expect(added.status, added.html.slice(0, 2000)).toBe(303);
    expect(added.location).toBe('/console/connections/partner?done=created');
    expect((await connections())[0]).toMatchObject({ key: 'partner', name: 'Partner ID', enabled: false, has_client_secret: true, client_id: 'portvakt' });
    const page = await admin.page('/console/connections/partner?done=created');
    expect(page.html).toContain(`<code id="redirect-uri">${server.url}/login/upstream/callback/partner</code>`);
    expect(page.html).toContain('Register the redirect URI at the provider, then test it.');
    for (const path of ['/console/connections', '/console/connections/partner', '/console/connections/partner?lang=sv']) expect((await admin.page(path)).html).not.toContain(SECRET);
    await admin.page('/console/connections?lang=en');
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select(['actor_id', 'details']).where('action', '=', 'connection.created').executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(`operator:${admin.id}`);
    expect(JSON.stringify(audit)).not.toContain(SECRET);

    const customers = await count('customers');
    upstream.deny = false;
    upstream.signedInAs = { sub: 'upstream-tester', email: 'tester@example.se', email_verified: true, given_name: 'Tess', family_name: 'Testare' };
    const { resultPath, result } = await testConnection('partner');
    expect(result.status).toBe(200);
    expect(result.html).toContain('The connection works');
    expect(result.html).toContain('<code>upstream-tester</code>');
    expect(result.html).toContain('tester@example.se (verified by the provider)');
    expect(result.html).toContain('Tess Testare');
    expect(result.html).toContain('A new customer with this address would need no code.');
    // Shown once; nobody signed in or created; the test is in the audit log under the operator.
    const again = await admin.page(resultPath);
    expect(again.status).toBe(404);
    expect(again.html).toContain('This test was shown already or has expired.');
    expect(await count('customers')).toBe(customers);
    expect(await count('identities')).toBe(0);
    const tested = await server.portvakt.store.db.selectFrom('audit_log').select(['actor_id', 'details']).where('action', '=', 'connection.tested').executeTakeFirstOrThrow();
    expect(tested.actor_id).toBe(`operator:${admin.id}`);
    expect(JSON.parse(String(tested.details))).toEqual({ outcome: 'passed' });
    // Another operator cannot read someone else's test.
    const other = await consoleOperator(server, { email: 'admin2@example.se', roles: ['admin'] });
    const started = await admin.post('/console/connections/partner/test', {}, '/console/connections/partner');
    const callback = (await new CookieAgent().follow(started.location!, upstream.issuer)).url;
    const handOver = await (await other.agent.request(callback)).text();
    const foreign = /data-follow href="([^"]+)"/.exec(handOver)![1]!;
    expect((await other.page(foreign)).status).toBe(404);
    expect((await admin.page(foreign)).html).toContain('The connection works');
  });

  it('tells why a test failed: refused at the provider, or a provider that cannot be reached (with the cause)', async () => {
    upstream.deny = true;
    const denied = (await testConnection('partner')).result;
    expect(denied.html).toContain('The test failed. The sign-in at the provider was cancelled or refused.');
    upstream.deny = false;

    const doomed = await UpstreamIdp.start(KEYS.map((key) => `${server.url}/login/upstream/callback/${key}`), SECRET);
    expect((await server.api('POST', '/connections', { key: 'gone', name: 'Gone', issuer: doomed.issuer, client_id: 'portvakt', client_secret: SECRET })).status).toBe(201);
    await doomed.close();
    await admin.page('/console/connections?lang=sv');
    const unreachable = await admin.post('/console/connections/gone/test', {}, '/console/connections/gone');
    expect(unreachable.status).toBe(400);
    expect(unreachable.html).toContain('Portvakt kunde inte använda leverantören: anslutningen till den misslyckades.');
    await admin.page('/console/connections?lang=en');
  });

  it('turns a connection on and off, changes it without showing the secret, and removes one nobody uses', async () => {
    const on = await admin.post('/console/connections/partner/enabled', { enabled: 'true' }, '/console/connections/partner');
    expect(on.location).toBe('/console/connections/partner?done=enabled');
    expect((await connections()).find((connection) => connection.key === 'partner')!.enabled).toBe(true);
    expect((await admin.page('/console/connections/partner?done=enabled')).html).toContain('The connection is on.');
    const off = await admin.post('/console/connections/partner/enabled', { enabled: 'false' }, '/console/connections/partner');
    expect(off.location).toBe('/console/connections/partner?done=disabled');
    expect((await connections()).find((connection) => connection.key === 'partner')!.enabled).toBe(false);

    const saved = await admin.post('/console/connections/partner', { name: 'Partner-ID', client_id: 'portvakt', client_secret: `${SECRET}-new`, scopes: 'openid email', trust_email_verified: '' });
    expect(saved.status, saved.html.slice(0, 1500)).toBe(303);
    const changed = (await server.api('GET', '/connections/partner')).body;
    expect(changed).toMatchObject({ name: 'Partner-ID', scopes: 'openid email', trust_email_verified: false, has_client_secret: true });
    expect((await admin.page('/console/connections/partner')).html).not.toContain(`${SECRET}-new`);

    const removed = await admin.post('/console/connections/gone/delete', {}, '/console/connections/gone');
    expect(removed.location).toBe('/console/connections?done=deleted');
    expect((await connections()).some((connection) => connection.key === 'gone')).toBe(false);
    const customerId = (await server.api('POST', '/customers', { email: 'linked@example.se' })).body.id;
    await server.portvakt.store.db.insertInto('identities').values({ connection: 'partner', subject: 'upstream-linked', customer_id: customerId, created_at: Date.now(), last_used_at: Date.now() }).execute();
    const used = await admin.post('/console/connections/partner/delete', {}, '/console/connections/partner');
    expect(used.status).toBe(409);
    expect(used.html).toContain('Customers sign in with this connection, so it cannot be removed. Turn it off instead.');
    expect((await connections()).some((connection) => connection.key === 'partner')).toBe(true);
  });

  it('narrows where a connection is offered to brands and clients, refuses unknown clients in words, and widens it again', async () => {
    expect((await server.api('PUT', '/brands/hemma_el', { name: 'Hemma El', accent_color: '#0b6e4f' })).status).toBe(200);
    const shop = (await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: ['https://shop.example/cb'] })).body.client_id as string;
    const page = await admin.page('/console/connections/partner');
    expect(page.html).toContain('action="/console/connections/partner/offered"');
    expect(page.html).toContain('value="hemma_el"');
    const offered = async () => (await server.api('GET', '/connections/partner')).body as { clients: string[] | null; brands: string[] | null };

    const unknown = await admin.post('/console/connections/partner/offered', { brands: 'hemma_el', clients: `${shop}\nno-such-client` }, '/console/connections/partner');
    expect(unknown.status).toBe(400);
    expect(unknown.html).toContain('No client has this ID: no-such-client.');
    expect(unknown.html).toMatch(/id="offer-brand-hemma_el" name="brands" value="hemma_el" checked/);
    const notBrand = await admin.post('/console/connections/partner/offered', { brands: 'no_such_brand', clients: '' }, '/console/connections/partner');
    expect(notBrand.status).toBe(400);
    expect(await offered()).toMatchObject({ clients: null, brands: null });

    const narrowed = await admin.post('/console/connections/partner/offered', { brands: 'hemma_el', clients: `${shop}, ${shop}` }, '/console/connections/partner');
    expect(narrowed.status, narrowed.html.slice(0, 1500)).toBe(303);
    expect(await offered()).toMatchObject({ clients: [shop], brands: ['hemma_el'] });
    expect((await admin.page('/console/connections/partner')).html).toContain(`clients: ${shop}; brands: hemma_el`);
    const widened = await admin.post('/console/connections/partner/offered', { clients: '' }, '/console/connections/partner');
    expect(widened.status).toBe(303);
    expect(await offered()).toMatchObject({ clients: null, brands: null });
    expect((await agent.post('/console/connections/partner/offered', { clients: '' }, '/console')).status).toBe(403);
    expect((await privacy.post('/console/connections/partner/offered', { clients: '' }, '/console')).status).toBe(403);
  });

  it('refuses bad input with the field errors in English and Swedish, 400, and writes nothing', async () => {
    const before = JSON.stringify(await connections());
    const audit = await auditCount();
    const empty = await admin.post('/console/connections/new', { kind: 'oidc', key: 'Bad Key', name: '', issuer: 'not a url', client_id: '' }, '/console/connections/new?kind=oidc');
    expect(empty.status).toBe(400);
    expect(empty.html).toMatch(/id="field-key-error">Lowercase letters, digits, _ and -/);
    expect(empty.html).toMatch(/id="field-name-error">Fill in this field/);
    expect(empty.html).toMatch(/id="field-issuer-error">Type the issuer&#39;s full address|id="field-issuer-error">Type the issuer's full address/);
    expect(empty.html).toMatch(/id="field-client_id-error">Fill in this field/);
    const taken = await admin.post('/console/connections/new', { kind: 'oidc', key: 'partner', name: 'X', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET }, '/console/connections/new?kind=oidc');
    expect(taken.status).toBe(409);
    expect(taken.html).toContain('A connection with this key exists.');
    expect(taken.html).not.toContain(SECRET);
    const meta = await admin.post('/console/connections/new', { kind: 'meta', key: 'facebook', client_id: '1234' }, '/console/connections/new?kind=meta');
    expect(meta.status).toBe(400);
    expect(meta.html).toMatch(/id="field-client_secret-error">Facebook needs the app secret/);
    await admin.page('/console/connections?lang=sv');
    const apple = await admin.post('/console/connections/new', { kind: 'apple', key: 'apple', client_id: 'se.example.shop', team_id: 'abc', key_id: 'ABCDE12345', private_key: 'not a key' }, '/console/connections/new?kind=apple');
    expect(apple.status).toBe(400);
    expect(apple.html).toMatch(/id="field-team_id-error">De 10 versalerna och siffrorna i Apples team-id/);
    const key = await admin.post('/console/connections/new', { kind: 'apple', key: 'apple', client_id: 'se.example.shop', team_id: 'ABCDE12345', key_id: 'ABCDE12345', private_key: `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(120)}\n-----END PRIVATE KEY-----` }, '/console/connections/new?kind=apple');
    expect(key.status).toBe(400);
    expect(key.html).toMatch(/id="field-private_key-error">Klistra in hela .p8-filen/);
    const tenant = await admin.post('/console/connections/new', { kind: 'microsoft', key: 'entra', client_id: 'x', client_secret: 'y', tenant: 'alla' }, '/console/connections/new?kind=microsoft');
    expect(tenant.status).toBe(400);
    expect(tenant.html).toMatch(/id="field-tenant-error">common, organizations, consumers/);
    const edit = await admin.post('/console/connections/partner', { name: 'X', client_id: '', scopes: 'email' });
    expect(edit.status).toBe(400);
    expect(edit.html).toMatch(/id="field-client_id-error">Fyll i fältet/);
    const scopes = await admin.post('/console/connections/partner', { name: 'X', client_id: 'portvakt', scopes: 'email profile' });
    expect(scopes.status).toBe(400);
    expect(scopes.html).toMatch(/id="field-scopes-error">Scope åtskilda med mellanslag/);
    await admin.page('/console/connections?lang=en');
    expect(JSON.stringify(await connections())).toBe(before);
    expect(await auditCount()).toBe(audit);
  });

  it('walls every page and post off from customer service and the privacy officer as the API does, and refuses a post without its CSRF token', async () => {
    const pages = ['/console/connections', '/console/connections/new', '/console/connections/new?kind=google', '/console/connections/partner'];
    for (const path of pages) {
      expect((await admin.page(path)).status, path).toBe(200);
      for (const other of [agent, privacy]) expect((await other.page(path)).status, path).toBe(403);
    }
    for (const other of [agent, privacy]) expect((await other.page('/console/connections/partner/tests/AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(403);
    for (const role of ['agent', 'privacy_officer']) {
      const key = (await server.api('POST', '/api-keys', { name: role, role })).body.key;
      for (const [method, path] of [['GET', '/connections'], ['POST', '/connections'], ['GET', '/connections/partner'], ['PATCH', '/connections/partner'], ['DELETE', '/connections/partner'], ['POST', '/connections/partner/tests'], ['POST', '/connections/partner/tests/AAAAAAAAAAAAAAAAAAAAAA/result']]) {
        const answer = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(method === 'POST' || method === 'PATCH' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'POST' || method === 'PATCH' ? { body: '{}' } : {}) });
        expect(answer.status, `${role} ${method} ${path}`).toBe(403);
      }
    }
    const before = JSON.stringify(await connections());
    const audit = await auditCount();
    const posts: Array<[string, Record<string, string>]> = [
      ['/console/connections/new', { kind: 'oidc', key: 'evil', name: 'Evil', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET }],
      ['/console/connections/partner', { name: 'Evil', client_id: 'portvakt' }],
      ['/console/connections/partner/enabled', { enabled: 'true' }],
      ['/console/connections/partner/delete', {}],
      ['/console/connections/partner/test', {}],
    ];
    for (const [path, fields] of posts) {
      for (const other of [agent, privacy]) expect((await other.post(path, fields, '/console')).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, fields)).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, { ...fields, csrf: 'A'.repeat(43) })).status, path).toBe(403);
    }
    expect(JSON.stringify(await connections())).toBe(before);
    expect(await auditCount()).toBe(audit);
  });
});
