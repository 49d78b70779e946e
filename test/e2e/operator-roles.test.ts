import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapSystems } from '../support/data-map.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const TEXTS = { sv: { title: 'T', description: 'D', legal_text: 'L' }, en: { title: 'T', description: 'D', legal_text: 'L' } };

/**
 * Management API access by role: API keys created by an admin (shown once, stored hashed,
 * revocable) and machine clients with client_credentials and portvakt:{role} scopes. Every route
 * admits the roles it names; the audit log names the key that acted.
 */
describe.each(DIALECTS)('operator roles on %s', (dialect) => {
  let server: RunningPortvakt;
  let customerId: string;
  const keys: Record<string, string> = {};
  const as = async (bearer: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    customerId = (await server.api('POST', '/customers', { email: 'caller@example.se', phone_number: '+46701234567' })).body.id;
    await mapSystems(server, 'crm', 'loyalty');
    expect((await server.api('PUT', `/customers/${customerId}/references/crm`, { reference: 'CRM-4711' })).status).toBe(200);
    await server.api('POST', '/consent-purposes', { key: 'newsletter', texts: TEXTS });
    for (const [name, role, systems] of [['Kundtjänst', 'agent', null], ['Dataskydd', 'privacy_officer', null], ['CRM sync', 'integration', ['crm']]] as const) {
      const created = await server.api('POST', '/api-keys', { name, role, systems });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.key).toMatch(/^pvk_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
      keys[role] = created.body.key;
    }
  });
  afterAll(() => server?.stop());

  it('shows a key once and stores only its hash', async () => {
    const listed = await server.api('GET', '/api-keys');
    expect(listed.body.api_keys.map((key: { role: string }) => key.role)).toEqual(['agent', 'privacy_officer', 'integration']);
    expect(JSON.stringify(listed.body)).not.toContain(keys.agent!.split('.')[1]);
    const stored = await server.portvakt.store.db.selectFrom('api_keys').select('secret_hash').execute();
    expect(stored.every((row) => /^[0-9a-f]{64}$/.test(row.secret_hash))).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(keys.agent!.split('.')[1]);
    expect((await server.api('POST', '/api-keys', { name: 'x', role: 'integration' })).status).toBe(400);
    expect((await server.api('POST', '/api-keys', { name: 'x', role: 'agent', systems: ['crm'] })).status).toBe(400);
    expect((await server.api('POST', '/api-keys', { name: 'x', role: 'root' })).status).toBe(400);
  });

  it('lets an agent find a caller and record consent given by phone, and nothing more', async () => {
    const agent = keys.agent!;
    for (const query of ['email=caller@example.se', 'phone=%2B46701234567', 'ref=crm:CRM-4711']) {
      const found = await as(agent, 'GET', `/customers?${query}`);
      expect(found.status, query).toBe(200);
      expect(found.body.customers.map((customer: { id: string }) => customer.id), query).toEqual([customerId]);
    }
    expect((await as(agent, 'GET', '/customers?ref=crm:nobody')).body.customers).toEqual([]);
    const recorded = await as(agent, 'POST', `/customers/${customerId}/consents`, { purpose: 'newsletter', version: 1, decision: 'granted', channel: 'phone', locale: 'sv', agent_id: 'agent-17' });
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
    // No list export, no privacy requests, no clients, no audience, no keys, no customer changes.
    for (const [method, path, body] of [
      ['GET', '/customers', undefined],
      ['GET', '/consent-purposes/newsletter/customers', undefined],
      ['POST', '/privacy-requests', { customer_id: customerId, kind: 'export', verification: 'ID checked' }],
      ['POST', '/clients', { client_name: 'x', redirect_uris: ['https://x.example/cb'] }],
      ['GET', '/clients', undefined],
      ['POST', '/api-keys', { name: 'escalate', role: 'admin' }],
      ['PATCH', `/customers/${customerId}`, { given_name: 'Changed' }],
      ['DELETE', `/customers/${customerId}`, undefined],
      ['PUT', `/customers/${customerId}/references/crm`, { reference: 'X' }],
    ] as const) {
      const answer = await as(agent, method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error).toBe('forbidden');
    }
    // The audit log names the key that acted.
    const keyId = keys.agent!.split('.')[0]!;
    const entry = await server.portvakt.store.db.selectFrom('audit_log').select(['actor_type', 'actor_id', 'details']).where('action', '=', 'consent.granted').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect({ actor_type: entry.actor_type, actor_id: entry.actor_id, agent: JSON.parse(entry.details).agent_id }).toEqual({ actor_type: 'operator', actor_id: `key:${keyId}`, agent: 'agent-17' });
  });

  it('lets a privacy officer handle requests and the data map, and an integration only its own systems\' references and webhooks', async () => {
    const officer = keys.privacy_officer!;
    expect((await as(officer, 'POST', '/privacy-requests', { customer_id: customerId, kind: 'export', verification: 'ID checked' })).status).toBe(201);
    expect((await as(officer, 'GET', '/data-map')).status).toBe(200);
    expect((await as(officer, 'POST', '/clients', { client_name: 'x', redirect_uris: ['https://x.example/cb'] })).status).toBe(403);

    const integration = keys.integration!;
    expect((await as(integration, 'PUT', `/customers/${customerId}/references/crm`, { reference: 'CRM-4712' })).status).toBe(200);
    expect((await as(integration, 'PUT', `/customers/${customerId}/references/loyalty`, { reference: 'L-1' })).status).toBe(403);
    expect((await as(integration, 'DELETE', `/customers/${customerId}/references/loyalty`)).status).toBe(403);
    const own = await as(integration, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', event_types: ['customer.updated'] });
    expect(own.status).toBe(201);
    // Another operator's subscriptions are invisible and untouchable to an integration; an admin sees all.
    const admins = (await server.api('POST', '/webhooks', { url: 'http://127.0.0.1:9/admin-hook', event_types: ['*'] })).body;
    expect((await as(integration, 'GET', '/webhooks')).body.webhooks.map((hook: { id: string }) => hook.id)).toEqual([own.body.id]);
    expect((await as(integration, 'DELETE', `/webhooks/${admins.id}`)).status).toBe(404);
    expect((await as(integration, 'GET', `/webhooks/${admins.id}/deliveries`)).status).toBe(404);
    expect((await server.api('GET', '/webhooks')).body.webhooks.map((hook: { id: string }) => hook.id)).toEqual(expect.arrayContaining([own.body.id, admins.id]));
    // It reads only its own systems' references.
    await server.api('PUT', `/customers/${customerId}/references/loyalty`, { reference: 'L-5' });
    expect((await as(integration, 'GET', `/customers/${customerId}/references`)).body.references.map((reference: { system: string }) => reference.system)).toEqual(['crm']);
    expect((await as(keys.agent!, 'GET', `/customers/${customerId}/references`)).body.references.map((reference: { system: string }) => reference.system)).toEqual(['crm', 'loyalty']);
    expect((await as(integration, 'GET', '/customers?email=caller@example.se')).status).toBe(403);
    expect((await as(integration, 'POST', '/privacy-requests', { customer_id: customerId, kind: 'erasure', verification: 'x' })).status).toBe(403);
  });

  it('refuses a revoked key, a malformed one and a wrong secret with 401', async () => {
    const created = (await server.api('POST', '/api-keys', { name: 'Temp', role: 'agent' })).body;
    expect((await as(created.key, 'GET', '/customers?email=caller@example.se')).status).toBe(200);
    const revoked = await server.api('DELETE', `/api-keys/${created.id}`);
    expect(revoked.body.revoked_at).toBeGreaterThan(0);
    expect((await as(created.key, 'GET', '/customers?email=caller@example.se')).status).toBe(401);
    const [id] = created.key.split('.');
    for (const bearer of [`${id}.${'A'.repeat(43)}`, 'pvk_short', `${keys.agent}x`, 'not-a-key', 'x'.repeat(300)]) {
      expect((await as(bearer, 'GET', '/customers?email=caller@example.se')).status, bearer).toBe(401);
    }
    expect((await server.api('DELETE', '/api-keys/pvk_AAAAAAAAAAAAAAAA')).status).toBe(404);
  });

  it('accepts a machine client\'s client_credentials token in the roles its scopes name, and no other token', async () => {
    const client = (await server.api('POST', '/clients', { client_name: 'Kundtjänstsystem', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'portvakt:agent' })).body;
    expect(client.client_id, JSON.stringify(client)).toBeTruthy();
    const token = async (scope: string) => {
      const response = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
      });
      return { status: response.status, body: (await response.json()) as { access_token?: string; scope?: string; error?: string } };
    };
    const issued = await token('portvakt:agent');
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body.scope).toBe('portvakt:agent');
    const bearer = issued.body.access_token!;
    expect((await as(bearer, 'GET', '/customers?email=caller@example.se')).status).toBe(200);
    expect((await as(bearer, 'POST', '/clients', { client_name: 'x', redirect_uris: ['https://x.example/cb'] })).status).toBe(403);
    // A scope the client was not given is not issued.
    expect((await token('portvakt:admin')).status).toBe(400);
    // A client with no scope list could be issued any scope: its tokens carry no role here.
    const unlimited = (await server.api('POST', '/clients', { client_name: 'Gammal integration', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] })).body;
    const minted = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(unlimited.client_id)}:${encodeURIComponent(unlimited.client_secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'portvakt:admin' }).toString(),
    }).then((response) => response.json() as Promise<{ access_token?: string }>);
    expect(minted.access_token, 'oidc-provider issues any known scope to a client without a scope list').toBeTruthy();
    expect((await as(minted.access_token!, 'GET', '/api-keys')).status).toBe(401);
    // Role scopes only for confidential machine clients.
    for (const body of [
      { client_name: 'App', grant_types: ['authorization_code', 'client_credentials'], redirect_uris: ['https://app.example/cb'], scope: 'openid portvakt:admin' },
      { client_name: 'Public', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none', redirect_uris: [], response_types: [], scope: 'portvakt:agent' },
    ]) {
      expect((await server.api('POST', '/clients', body)).status, JSON.stringify(body)).toBe(400);
    }
    const entry = await server.portvakt.store.db.selectFrom('audit_log').select('actor_id').where('actor_type', '=', 'operator').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(typeof entry.actor_id).toBe('string');
  });

  it('creates, lists and revokes keys from the command line, on the database the server uses', () => {
    const cli = (...args: string[]) =>
      spawnSync(join(ROOT, 'bin/portvakt'), ['api-keys', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: server.database.url, PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const created = cli('create', '--name', 'Loyalty sync', '--role', 'integration', '--systems', 'loyalty');
    expect(created.status, created.stderr).toBe(0);
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    return (async () => {
      expect((await as(key, 'PUT', `/customers/${customerId}/references/loyalty`, { reference: 'L-77' })).status).toBe(200);
      expect(JSON.parse(cli('list').stdout).map((entry: { id: string }) => entry.id)).toContain(id);
      expect(cli('revoke', id).status).toBe(0);
      expect((await as(key, 'PUT', `/customers/${customerId}/references/loyalty`, { reference: 'L-78' })).status).toBe(401);
      const refused = cli('create', '--name', 'x', '--role', 'root');
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('role');
    })();
  });
});
