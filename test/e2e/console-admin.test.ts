import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOperator, consoleTeam, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const SECRET = /<code id="client-secret">([A-Za-z0-9_-]{43})<\/code>/;

/**
 * The administrator's console pages over HTTP: clients (the secret shown once), and the role wall,
 * CSRF refusal and field errors of every administration page and form (brands, consent purposes
 * and signing keys have their own suite, console-admin-settings.test.ts).
 */
describe.each(DIALECTS)('administration console on %s', (dialect) => {
  let server: RunningPortvakt;
  let admin: ConsoleOperator;
  let agent: ConsoleOperator;
  let privacy: ConsoleOperator;
  let clientId: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    ({ admin, agent, privacy } = await consoleTeam(server));
    await server.api('PUT', '/brands/hemma_el', { name: 'Hemma El', accent_color: '#0a7d3b' });
    await server.api('POST', '/consent-purposes', { key: 'newsletter', texts: { sv: { title: 'Nyhetsbrev', description: 'Nyheter', legal_text: 'Villkor' }, en: { title: 'Newsletter', description: 'News', legal_text: 'Terms' } } });
    clientId = (await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: ['https://shop.example.se/cb'] })).body.client_id;
  });
  afterAll(() => server?.stop());

  const auditCount = async () => Number((await server.portvakt.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const token = async (id: string, secret: string) => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: 'https://shop.example.se/cb' }).toString(),
    });
    // The client authenticated when the grant (not the client) is what is refused.
    return ((await response.json()) as { error: string }).error;
  };

  const PAGES = () => ['/console/clients', '/console/clients/new', `/console/clients/${clientId}`, '/console/brands', '/console/brands/hemma_el', '/console/brands/hemma_el/preview', '/console/consent-purposes', '/console/consent-purposes/newsletter', '/console/signing-keys'];
  const POSTS = (): Array<[string, Record<string, string>]> => [
    ['/console/clients/new', { client_name: 'Intrång', kind: 'web', redirect_uris: 'https://evil.example/cb' }],
    [`/console/clients/${clientId}`, { redirect_uris: 'https://evil.example/cb' }],
    [`/console/clients/${clientId}/secret`, {}],
    [`/console/clients/${clientId}/delete`, {}],
    ['/console/brands', { key: 'evil', name: 'Evil', accent_color: '#000000' }],
    ['/console/brands/hemma_el', { name: 'Evil', accent_color: '#000000' }],
    ['/console/brands/hemma_el/delete', {}],
    ['/console/consent-purposes', { key: 'evil', sv_title: 'x', sv_description: 'x', sv_legal_text: 'x', en_title: 'x', en_description: 'x', en_legal_text: 'x' }],
    ['/console/consent-purposes/newsletter/versions', { sv_title: 'x', sv_description: 'x', sv_legal_text: 'x', en_title: 'x', en_description: 'x', en_legal_text: 'x', requires_fresh_consent: 'on' }],
    ['/console/consent-purposes/newsletter/ask-again', {}],
    ['/console/signing-keys/rotate', {}],
  ];

  it("shows the administrator's pages in the menu and on the overview, to the administrator only", async () => {
    // The menu has one "Settings" entry (it fits a phone); the settings page lists the administrator's pages.
    const home = await admin.page('/console');
    expect(home.html).toContain('href="/console/settings"');
    const settings = await admin.page('/console/settings');
    for (const href of ['/console/clients', '/console/brands', '/console/consent-purposes', '/console/signing-keys']) expect(settings.html).toContain(`href="${href}"`);
    expect(settings.html).toContain('The keys tokens are signed with, and rotating them.');
    for (const other of [agent, privacy]) {
      const page = await other.page('/console');
      for (const href of ['/console/settings', '/console/clients', '/console/brands', '/console/consent-purposes', '/console/signing-keys']) expect(page.html).not.toContain(`href="${href}"`);
      expect((await other.page('/console/settings')).status).toBe(403);
    }
  });

  it('opens every page to the administrator and refuses customer service and the privacy officer, as the API does', async () => {
    for (const path of PAGES()) {
      expect((await admin.page(path)).status, path).toBe(200);
      expect((await agent.page(path)).status, path).toBe(403);
      expect((await privacy.page(path)).status, path).toBe(403);
    }
    // The API refuses these roles the operations the pages stand behind (and the menu is gated by).
    for (const role of ['agent', 'privacy_officer']) {
      const key = (await server.api('POST', '/api-keys', { name: role, role })).body.key;
      for (const [method, path] of [['GET', '/clients'], ['POST', '/clients'], ['GET', `/clients/${clientId}`], ['PUT', '/brands/hemma_el'], ['POST', '/consent-purposes'], ['POST', '/consent-purposes/newsletter/versions'], ['GET', '/signing-keys']] as const) {
        const answer = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) }, body: method === 'GET' ? undefined : '{}' });
        expect(answer.status, `${role} ${method} ${path}`).toBe(403);
      }
    }
  });

  it('refuses every form post of another role and of a form without its CSRF token, and writes nothing', async () => {
    const before = await auditCount();
    for (const [path, fields] of POSTS()) {
      for (const other of [agent, privacy]) expect((await other.post(path, fields, '/console')).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, fields)).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, { ...fields, csrf: 'A'.repeat(43) })).status, path).toBe(403);
    }
    expect(await auditCount()).toBe(before);
    expect((await server.api('GET', `/clients/${clientId}`)).body.redirect_uris).toEqual(['https://shop.example.se/cb']);
  });

  it('registers a client and shows its secret once: never on its page, in the list or after a new load', async () => {
    const created = await admin.post('/console/clients/new', { client_name: 'Kök & Co webbshop', kind: 'web', redirect_uris: 'https://kok.example.se/cb\r\n\r\nhttps://kok.example.se/cb2', first_party: 'on', brand: 'hemma_el' });
    expect(created.status).toBe(201);
    const secret = SECRET.exec(created.html)![1]!;
    const id = /<dt>Client ID<\/dt><dd><code>([^<]+)<\/code>/.exec(created.html)![1]!;
    expect(created.html).toContain('shown this once');
    expect(await token(id, secret)).toBe('invalid_grant');
    expect((await server.api('GET', `/clients/${id}`)).body).toMatchObject({ client_name: 'Kök & Co webbshop', first_party: true, brand: 'hemma_el', redirect_uris: ['https://kok.example.se/cb', 'https://kok.example.se/cb2'], token_endpoint_auth_method: 'client_secret_basic' });
    for (const path of [`/console/clients/${id}`, '/console/clients', `/console/clients/${id}?lang=sv`, `/console/clients/${id}?lang=en`]) {
      const later = await admin.page(path);
      expect(later.status).toBe(200);
      expect(later.html).not.toContain(secret);
      expect(later.html).not.toMatch(SECRET);
    }
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select(['actor_id', 'details']).where('action', '=', 'client.created').where('subject_id', '=', id).executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(`operator:${admin.id}`);
    expect(String(audit.details)).not.toContain(secret);

    // A new secret: shown once, the old one refused at once.
    const renewed = await admin.post(`/console/clients/${id}/secret`, {});
    expect(renewed.status).toBe(200);
    const fresh = SECRET.exec(renewed.html)![1]!;
    expect(fresh).not.toBe(secret);
    expect(await token(id, secret)).toBe('invalid_client');
    expect(await token(id, fresh)).toBe('invalid_grant');
    expect((await admin.page(`/console/clients/${id}`)).html).not.toContain(fresh);

    // A single-page app is public: no secret, and no new-secret button.
    const spa = await admin.post('/console/clients/new', { client_name: 'Appen', kind: 'spa', redirect_uris: 'https://app.example.se/cb' });
    expect(spa.status).toBe(201);
    expect(spa.html).not.toMatch(SECRET);
    expect(spa.html).not.toContain('/secret"');
    expect(spa.html).toContain('None (public client, PKCE)');
  });

  it('asks for a fresh sign-in before a new secret, and changes nothing until then', async () => {
    const stale = await consoleOperator(server, { email: 'stale@example.se', roles: ['admin'] });
    await server.portvakt.store.db.updateTable('operator_sessions').set({ authenticated_at: Date.now() - 11 * 60_000 }).where('operator_id', '=', stale.id).execute();
    const before = await auditCount();
    const asked = await stale.post(`/console/clients/${clientId}/secret`, {}, `/console/clients/${clientId}`);
    expect(asked.status).toBe(303);
    expect(asked.location).toBe(`/console/sign-in?return=${encodeURIComponent(`/console/clients/${clientId}`)}&fresh=1`);
    expect((await stale.page('/console/clients/new')).location).toBe('/console/sign-in?return=%2Fconsole%2Fclients%2Fnew&fresh=1');
    expect(await auditCount()).toBe(before);
  });

  it('shows the warnings of the API in plain words, in English and Swedish', async () => {
    const created = await admin.post('/console/clients/new', { client_name: 'Kassan', kind: 'web', redirect_uris: 'http://kassa.example.se/cb' });
    expect(created.status).toBe(201);
    expect(created.html).toContain('A redirect URI uses plain http');
    const id = /<dt>Client ID<\/dt><dd><code>([^<]+)<\/code>/.exec(created.html)![1]!;
    expect((await admin.page(`/console/clients/${id}?lang=sv`)).html).toContain('En återhoppsadress använder okrypterad http');
    expect((await admin.page('/console/clients')).html).toContain('1 varning(ar)');
    expect((await admin.page(`/console/clients/${id}?lang=en`)).html).not.toContain('http_redirect_uri');
  });

  it('refuses bad input with the field errors in the page language, 400, and writes nothing', async () => {
    const count = async () => (await server.api('GET', '/clients')).body.clients.length;
    const before = await count();
    const refused = await admin.post('/console/clients/new', { client_name: '', kind: 'web', redirect_uris: 'not a url' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Fill in this field.');
    expect(refused.html).toContain('Type full addresses, one per line');
    expect(refused.html).toContain('not a url');
    const noBrand = await admin.post('/console/clients/new', { client_name: 'X', kind: 'web', redirect_uris: 'https://x.example.se/cb', brand: 'no_such' });
    expect(noBrand.status).toBe(400);
    expect(noBrand.html).toContain('Choose one of the brands.');
    await admin.page('/console/clients?lang=sv');
    const svenska = await admin.post('/console/clients/new', { client_name: 'X', kind: 'robot', redirect_uris: '' });
    expect(svenska.status).toBe(400);
    expect(svenska.html).toContain('Välj slags tjänst.');
    expect(svenska.html).toContain('Fyll i fältet');
    // The API's own refusal (a web client may not redirect to an app's scheme) in the page's language.
    const scheme = await admin.post('/console/clients/new', { client_name: 'X', kind: 'web', redirect_uris: 'myapp:/cb' });
    expect(scheme.status).toBe(400);
    expect(scheme.html).toMatch(/id="field-redirect_uris-error">Skriv hela adresser, en per rad/);
    expect(scheme.html).not.toContain('invalid_');
    const edit = await admin.post(`/console/clients/${clientId}`, { redirect_uris: 'nej', brand: '' });
    expect(edit.status).toBe(400);
    expect(edit.html).toContain('Skriv hela adresser, en per rad');
    await admin.page('/console/clients?lang=en');
    expect(await count()).toBe(before);
    expect((await server.api('GET', `/clients/${clientId}`)).body.redirect_uris).toEqual(['https://shop.example.se/cb']);
  });

  it('changes redirect URIs, first party and brand, and removes a client', async () => {
    const saved = await admin.post(`/console/clients/${clientId}`, { redirect_uris: 'https://shop.example.se/cb\nhttps://shop.example.se/other', first_party: 'on', brand: 'hemma_el' });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`/console/clients/${clientId}?done=saved`);
    expect((await server.api('GET', `/clients/${clientId}`)).body).toMatchObject({ redirect_uris: ['https://shop.example.se/cb', 'https://shop.example.se/other'], first_party: true, brand: 'hemma_el' });
    const page = await admin.page(`/console/clients/${clientId}?done=saved`);
    expect(page.html).toContain('Saved.');
    expect(page.html).toContain('<option value="hemma_el" selected>Hemma El</option>');
    const cleared = await admin.post(`/console/clients/${clientId}`, { redirect_uris: 'https://shop.example.se/cb', brand: '' });
    expect(cleared.status).toBe(303);
    expect((await server.api('GET', `/clients/${clientId}`)).body).toMatchObject({ first_party: false, brand: null });

    const doomed = (await server.api('POST', '/clients', { client_name: 'Gammal', redirect_uris: ['https://old.example.se/cb'] })).body.client_id;
    const removed = await admin.post(`/console/clients/${doomed}/delete`, {});
    expect(removed.status).toBe(303);
    expect((await server.api('GET', `/clients/${doomed}`)).status).toBe(404);
    expect((await admin.page(`/console/clients/${doomed}`)).status).toBe(404);
  });

  it('pages through many clients with a cursor', async () => {
    for (let index = 0; index < 52; index++) await server.api('POST', '/clients', { client_name: `Butik ${index}`, redirect_uris: ['https://b.example.se/cb'], application_type: 'native' });
    const first = await admin.page('/console/clients');
    const next = /href="\/console\/clients\?after=([^"]+)"/.exec(first.html)![1]!;
    const firstIds = [...first.html.matchAll(/href="\/console\/clients\/([^"/?]+)"/g)].map((match) => match[1]).filter((id) => id !== 'new');
    expect(firstIds).toHaveLength(50);
    const second = await admin.page(`/console/clients?after=${next}`);
    const secondIds = [...second.html.matchAll(/href="\/console\/clients\/([^"/?]+)"/g)].map((match) => match[1]).filter((id) => id !== 'new');
    expect(secondIds.length).toBeGreaterThan(0);
    expect(secondIds.some((id) => firstIds.includes(id))).toBe(false);
    const all = (await server.api('GET', '/clients?limit=500')).body.clients.length;
    expect(firstIds.length + secondIds.length).toBe(all);
  });
});
