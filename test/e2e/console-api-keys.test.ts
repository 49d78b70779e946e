import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS_OPERATION, SETTINGS_PAGES } from '../../src/console/settings-pages.ts';
import { consoleOperator, consoleTeam, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const KEY = /<code id="api-key">([^<]+)<\/code>/;

/** The settings page and the API keys in the administrator's console, over HTTP, on both dialects. */
describe.each(DIALECTS)('console settings and API keys on %s', (dialect) => {
  let server: RunningPortvakt;
  let admin: ConsoleOperator;
  let agent: ConsoleOperator;
  let privacy: ConsoleOperator;
  const roleKeys: Record<string, string> = {};

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    ({ admin, agent, privacy } = await consoleTeam(server));
    for (const role of ['agent', 'privacy_officer', 'integration']) roleKeys[role] = (await server.api('POST', '/api-keys', { name: `${role} key`, role, systems: role === 'integration' ? ['crm'] : null })).body.key;
  });
  afterAll(() => server?.stop());

  const auditCount = async () => Number((await server.portvakt.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const apiStatus = async (role: string, method: string, path: string) =>
    (await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${roleKeys[role]}`, ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) }, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }) })).status;
  const keys = async () => (await server.api('GET', '/api-keys')).body.api_keys as Array<{ id: string; name: string; role: string; systems: string[] | null; revoked_at: number | null }>;

  it('gates the "Settings" entry by an operation that admits exactly the roles some settings page admits', async () => {
    for (const role of ['agent', 'privacy_officer', 'integration']) {
      const entry = (await apiStatus(role, ...SETTINGS_OPERATION)) !== 403;
      let any = false;
      for (const page of SETTINGS_PAGES) any ||= (await apiStatus(role, page.operation[0], page.operation[1].replace(':key', 'no_such_key'))) !== 403;
      expect(entry, role).toBe(any);
    }
    const settings = await admin.page('/console/settings?lang=sv');
    expect(settings.status).toBe(200);
    for (const page of SETTINGS_PAGES) expect(settings.html).toContain(`href="${page.href}"`);
    expect(settings.html).toContain('Inloggningskopplingar');
    expect(settings.html).toContain('href="/console/settings" aria-current="page"');
    // Each settings page, and a page under it, keeps "Settings" marked as where the operator is.
    for (const path of [...SETTINGS_PAGES.map((page) => page.href), '/console/clients/new']) {
      const opened = await admin.page(path);
      expect(opened.status, path).toBe(200);
      expect(opened.html, path).toContain('href="/console/settings" aria-current="page"');
      expect(opened.html.match(/aria-current="page"/g), path).toHaveLength(1);
    }
    expect((await admin.page('/console?lang=en')).html).toContain('href="/console/settings"');
    for (const other of [agent, privacy]) {
      expect((await other.page('/console/settings')).status).toBe(403);
      expect((await other.page('/console')).html).not.toContain('/console/settings');
    }
  });

  it('creates a key and shows it once: it works, and is never on its page, in the list or after a new load', async () => {
    const form = await admin.page('/console/api-keys/new');
    expect(form.status).toBe(200);
    const created = await admin.post('/console/api-keys/new', { name: 'CRM-synk', role: 'integration', systems: 'crm, loyalty' });
    expect(created.status, created.html.slice(0, 1500)).toBe(201);
    const key = KEY.exec(created.html)![1]!;
    expect(created.html).toContain('shown this once');
    const stored = (await keys()).find((row) => row.name === 'CRM-synk')!;
    expect(stored).toMatchObject({ role: 'integration', systems: ['crm', 'loyalty'], revoked_at: null });
    // The key is a working key of its role: an integration may list its webhooks, not the API keys.
    expect((await fetch(`${server.url}/api/v1/webhooks`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/api-keys`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
    for (const path of ['/console/api-keys', `/console/api-keys/${stored.id}`, `/console/api-keys/${stored.id}?lang=sv`, '/console/api-keys?lang=en']) {
      const later = await admin.page(path);
      expect(later.status, path).toBe(200);
      expect(later.html).not.toContain(key);
      expect(later.html).not.toMatch(KEY);
    }
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select(['actor_id', 'details']).where('subject_id', '=', stored.id).executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(`operator:${admin.id}`);
    expect(String(audit.details)).not.toContain(key);
  });

  it('revokes a key: refused by the API from then on, and shown as revoked', async () => {
    const created = await admin.post('/console/api-keys/new', { name: 'Gammal', role: 'agent', systems: '' });
    expect(created.status).toBe(201);
    const key = KEY.exec(created.html)![1]!;
    const id = (await keys()).find((row) => row.name === 'Gammal')!.id;
    expect((await fetch(`${server.url}/api/v1/customers?email=x@example.se`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const revoked = await admin.post(`/console/api-keys/${id}/revoke`, {}, `/console/api-keys/${id}`);
    expect(revoked.status).toBe(303);
    expect(revoked.location).toBe('/console/api-keys?done=revoked');
    expect((await fetch(`${server.url}/api/v1/customers?email=x@example.se`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    expect((await admin.page('/console/api-keys?done=revoked')).html).toContain('The key is revoked.');
    const page = await admin.page(`/console/api-keys/${id}`);
    expect(page.html).toContain('revoked ');
    expect(page.html).not.toContain(`/console/api-keys/${id}/revoke`);
  });

  it('refuses bad input with the field errors in English and Swedish, 400, and writes nothing', async () => {
    const before = JSON.stringify(await keys());
    const audit = await auditCount();
    const empty = await admin.post('/console/api-keys/new', { name: '', role: 'robot', systems: 'CRM!' });
    expect(empty.status).toBe(400);
    expect(empty.html).toContain('Fill in this field.');
    expect(empty.html).toContain('Choose a role.');
    expect(empty.html).toContain('System keys are lowercase letters');
    const noSystems = await admin.post('/console/api-keys/new', { name: 'X', role: 'integration', systems: '' });
    expect(noSystems.status).toBe(400);
    expect(noSystems.html).toMatch(/id="field-systems-error">System keys are/);
    await admin.page('/console/api-keys?lang=sv');
    const svenska = await admin.post('/console/api-keys/new', { name: 'X', role: 'agent', systems: 'crm' });
    expect(svenska.status).toBe(400);
    expect(svenska.html).toContain('Bara integrationsnycklar har system.');
    const tom = await admin.post('/console/api-keys/new', { name: ' ', role: 'agent' });
    expect(tom.status).toBe(400);
    expect(tom.html).toContain('Fyll i fältet');
    await admin.page('/console/api-keys?lang=en');
    expect(JSON.stringify(await keys())).toBe(before);
    expect(await auditCount()).toBe(audit);
  });

  it('walls every page and post off from customer service and the privacy officer as the API does, and refuses a post without its CSRF token', async () => {
    const { id } = (await keys())[0]!;
    for (const path of ['/console/settings', '/console/api-keys', '/console/api-keys/new', `/console/api-keys/${id}`]) {
      expect((await admin.page(path)).status, path).toBe(200);
      for (const other of [agent, privacy]) expect((await other.page(path)).status, path).toBe(403);
    }
    for (const role of ['agent', 'privacy_officer']) {
      for (const [method, path] of [['GET', '/api-keys'], ['POST', '/api-keys'], ['DELETE', `/api-keys/${id}`], SETTINGS_OPERATION] as const) expect(await apiStatus(role, method, path), `${role} ${method} ${path}`).toBe(403);
    }
    const before = JSON.stringify(await keys());
    const posts: Array<[string, Record<string, string>]> = [['/console/api-keys/new', { name: 'Intrång', role: 'admin' }], [`/console/api-keys/${id}/revoke`, {}]];
    for (const [path, fields] of posts) {
      for (const other of [agent, privacy]) expect((await other.post(path, fields, '/console')).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, fields)).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, { ...fields, csrf: 'A'.repeat(43) })).status, path).toBe(403);
    }
    expect(JSON.stringify(await keys())).toBe(before);
  });

  it('asks for a fresh sign-in before creating or revoking a key', async () => {
    const stale = await consoleOperator(server, { email: 'stale@example.se', roles: ['admin'] });
    await server.portvakt.store.db.updateTable('operator_sessions').set({ authenticated_at: Date.now() - 11 * 60_000 }).where('operator_id', '=', stale.id).execute();
    expect((await stale.page('/console/api-keys/new')).location).toBe('/console/sign-in?return=%2Fconsole%2Fapi-keys%2Fnew&fresh=1');
    const { id } = (await keys())[0]!;
    const asked = await stale.post(`/console/api-keys/${id}/revoke`, {}, `/console/api-keys/${id}`);
    expect(asked.location).toBe(`/console/sign-in?return=${encodeURIComponent(`/console/api-keys/${id}`)}&fresh=1`);
    expect((await keys()).find((row) => row.id === id)!.revoked_at).toBeNull();
  });
});
