import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

/**
 * A new client secret through the management API (the console's "new secret" button): shown once,
 * stored hashed, the old one refused at /token from that moment (no overlap, as Auth0's rotation).
 */
describe.each(DIALECTS)('a new client secret on %s', (dialect) => {
  let server: RunningPortvakt;
  let agentKey: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    agentKey = (await server.api('POST', '/api-keys', { name: 'Kundtjänst', role: 'agent' })).body.key;
  });
  afterAll(() => server?.stop());

  const token = async (clientId: string, secret: string) => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
    return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string } };
  };

  it('replaces the secret of a confidential client: the new one works, the old one is refused at once', async () => {
    const created = (await server.api('POST', '/clients', { client_name: 'Lojalitet', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] })).body;
    const { client_id: id, client_secret: old } = created;
    expect((await token(id, old)).status).toBe(200);

    const replaced = await server.api('POST', `/clients/${id}/secret`);
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    const fresh = replaced.body.client_secret;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(old);
    expect(replaced.body).toMatchObject({ client_id: id, client_name: 'Lojalitet', grant_types: ['client_credentials'] });

    expect(await token(id, old)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect((await token(id, fresh)).status).toBe(200);

    const read = await server.api('GET', `/clients/${id}`);
    expect(read.body.client_secret).toBeUndefined();
    expect(JSON.stringify(read.body)).not.toContain(fresh);
    const listed = (await server.api('GET', '/clients')).body.clients.find((client: { client_id: string }) => client.client_id === id);
    expect(listed.client_secret).toBeUndefined();
    const row = await server.portvakt.store.db.selectFrom('clients').select('client_secret_hash').where('client_id', '=', id).executeTakeFirstOrThrow();
    expect(row.client_secret_hash).toMatch(/^sha256:/);
    expect(row.client_secret_hash).not.toContain(fresh);

    const entry = await server.portvakt.store.db.selectFrom('audit_log').select(['actor_type', 'actor_id', 'subject_id', 'details']).where('action', '=', 'client.secret_rotated').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_type: 'operator', actor_id: 'admin-key', subject_id: id });
    expect(entry.details).not.toContain(fresh);
  });

  it('refuses a public client with 409 public_client, an unknown client with 404, and any role but admin', async () => {
    const spa = (await server.api('POST', '/clients', { client_name: 'Appen', redirect_uris: ['https://app.example.se/cb'], token_endpoint_auth_method: 'none' })).body;
    const before = await server.portvakt.store.db.selectFrom('clients').select(['client_secret_hash', 'version']).where('client_id', '=', spa.client_id).executeTakeFirstOrThrow();
    expect(await server.api('POST', `/clients/${spa.client_id}/secret`)).toMatchObject({ status: 409, body: { error: 'public_client' } });
    const after = await server.portvakt.store.db.selectFrom('clients').select(['client_secret_hash', 'version']).where('client_id', '=', spa.client_id).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    expect(await server.api('POST', '/clients/no-such-client/secret')).toMatchObject({ status: 404, body: { error: 'not_found' } });

    const machine = (await server.api('POST', '/clients', { client_name: 'CRM', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] })).body;
    const refused = await fetch(`${server.url}/api/v1/clients/${machine.client_id}/secret`, { method: 'POST', headers: { authorization: `Bearer ${agentKey}` } });
    expect(refused.status).toBe(403);
    expect((await token(machine.client_id, machine.client_secret)).status).toBe(200);
  });
});
