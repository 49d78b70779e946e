import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { ADMIN_KEY, startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

describe.each(DIALECTS)('management API on %s', (dialect) => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
  });
  afterAll(() => server?.stop());

  it('refuses calls without the admin key, or with a wrong one', async () => {
    for (const authorization of [undefined, 'Bearer wrong-key', `Basic ${ADMIN_KEY}`, `Bearer ${ADMIN_KEY}x`]) {
      const response = await fetch(`${server.url}/api/v1/customers`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('manages clients: create (secret once, stored hashed), read, list, patch, delete', async () => {
    const created = await server.api('POST', '/clients', {
      client_name: 'Kundportal',
      redirect_uris: ['https://portal.example.se/cb'],
      post_logout_redirect_uris: ['https://portal.example.se/'],
    });
    expect(created.status).toBe(201);
    const { client_id: id, client_secret: secret } = created.body;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', first_party: false, grant_types: ['authorization_code', 'refresh_token'] });

    const row = await server.portvakt.store.db.selectFrom('clients').selectAll().where('client_id', '=', id).executeTakeFirstOrThrow();
    expect(row.client_secret_hash).not.toContain(secret);
    expect(JSON.stringify(row)).not.toContain(secret);

    const read = await server.api('GET', `/clients/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.client_secret).toBeUndefined();
    expect((await server.api('GET', '/clients')).body.clients.map((c: { client_id: string }) => c.client_id)).toContain(id);

    const patched = await server.api('PATCH', `/clients/${id}`, { client_name: 'Mina sidor', first_party: true });
    expect(patched.body).toMatchObject({ client_name: 'Mina sidor', first_party: true, redirect_uris: ['https://portal.example.se/cb'] });
    expect(patched.body.client_secret).toBeUndefined();

    const toPublic = await server.api('PATCH', `/clients/${id}`, { token_endpoint_auth_method: 'none' });
    expect(toPublic.body.client_secret).toBeUndefined();
    const toConfidential = await server.api('PATCH', `/clients/${id}`, { token_endpoint_auth_method: 'client_secret_post' });
    expect(toConfidential.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expect((await server.api('DELETE', `/clients/${id}`)).status).toBe(204);
    expect((await server.api('GET', `/clients/${id}`)).status).toBe(404);
    expect((await server.api('DELETE', `/clients/${id}`)).status).toBe(404);
  });

  it('refuses client metadata oidc-provider would refuse', async () => {
    const before = (await server.api('GET', '/clients')).body.clients.length;
    const bad = await server.api('POST', '/clients', { client_name: 'x', redirect_uris: ['https://a.example/cb#fragment'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_redirect_uri');
    const noRedirect = await server.api('POST', '/clients', { client_name: 'x' });
    expect(noRedirect.status).toBe(400);
    expect((await server.api('GET', '/clients')).body.clients).toHaveLength(before);
  });

  it('manages customers: create, look up by e-mail, patch, delete', async () => {
    const created = await server.api('POST', '/customers', {
      email: ' Karin.Ek@Example.SE ',
      password: 'a passphrase to remember',
      given_name: 'Karin',
      family_name: 'Ek',
      locale: 'sv',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'karin.ek@example.se', email_verified: false, has_password: true, status: 'active' });
    expect(created.body.password).toBeUndefined();
    const id = created.body.id;

    const duplicate = await server.api('POST', '/customers', { email: 'karin.ek@example.se' });
    expect(duplicate).toMatchObject({ status: 409, body: { error: 'email_taken' } });

    const found = await server.api('GET', '/customers?email=KARIN.EK@example.se');
    expect(found.body.customers.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await server.api('GET', '/customers?email=nobody@example.se')).body.customers).toEqual([]);
    expect((await server.api('GET', '/customers')).body.customers.map((c: { id: string }) => c.id)).toContain(id);

    const verified = await server.api('PATCH', `/customers/${id}`, { email_verified: true, family_name: null });
    expect(verified.body).toMatchObject({ email_verified: true, family_name: null, given_name: 'Karin' });
    const moved = await server.api('PATCH', `/customers/${id}`, { email: 'karin@example.com' });
    expect(moved.body).toMatchObject({ email: 'karin@example.com', email_verified: false });

    expect((await server.api('PATCH', `/customers/${id}`, { password: 'password' })).body.error).toBe('password_too_common');
    expect((await server.api('PATCH', `/customers/${id}`, { password: 'short' })).body.error).toBe('password_too_short');
    expect((await server.api('DELETE', `/customers/${id}`)).status).toBe(204);
    expect((await server.api('GET', `/customers/${id}`)).status).toBe(404);
    const left = await server.portvakt.store.db.selectFrom('credentials').select('id').where('customer_id', '=', id).execute();
    expect(left).toEqual([]);
  });

  it('publishes an OpenAPI 3.1 document generated from the route schemas', async () => {
    const response = await fetch(`${server.url}/api/v1/openapi.json`);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, any>> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual(['/api/v1/audit/verify', '/api/v1/clients', '/api/v1/clients/{id}', '/api/v1/customers', '/api/v1/consent-purposes', '/api/v1/consent-figures', '/api/v1/consent-purposes/{key}/customers', '/api/v1/consent-purposes/{key}/versions', '/api/v1/customers/{id}', '/api/v1/customers/{id}/consents', '/api/v1/consents/batch', '/api/v1/events', '/api/v1/event-types', '/api/v1/event-types/{key}', '/api/v1/segments', '/api/v1/segments/{key}', '/api/v1/segments/{key}/customers', '/api/v1/customers/{id}/segments', '/api/v1/customers/{id}/email-verification', '/api/v1/webhooks', '/api/v1/webhooks/{id}', '/api/v1/webhooks/{id}/deliveries', '/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver', '/api/v1/systems', '/api/v1/systems/{key}', '/api/v1/data-map', '/api/v1/customers/{id}/references', '/api/v1/customers/{id}/references/{system}', '/api/v1/privacy-requests', '/api/v1/privacy-requests/{id}', '/api/v1/privacy-requests/{id}/verify', '/api/v1/privacy-requests/{id}/extend', '/api/v1/privacy-requests/{id}/tasks/{task}/confirm', '/api/v1/privacy-requests/{id}/tasks/{task}/retry', '/api/v1/privacy-requests/{id}/report', '/api/v1/connections', '/api/v1/connections/{key}', '/api/v1/connections/{key}/tests', '/api/v1/connections/{key}/tests/{test}/result', '/api/v1/api-keys', '/api/v1/api-keys/{id}', '/api/v1/customers/{id}/timeline', '/api/v1/customers/{id}/verifications', '/api/v1/verifications/{id}', '/api/v1/verifications/{id}/check', '/api/v1/profile-schema', '/api/v1/profile-schema/{key}', '/api/v1/customers/{id}/attributes', '/api/v1/guests', '/api/v1/guests/{id}', '/api/v1/customers/{id}/orders', '/api/v1/brands', '/api/v1/brands/{key}', '/api/v1/brands/{key}/templates', '/api/v1/brands/{key}/templates/preview', '/api/v1/resource-servers', '/api/v1/resource-servers/{id}', '/api/v1/customers/{id}/sessions', '/api/v1/outbox', '/api/v1/signing-keys', '/api/v1/signing-keys/rotate', '/api/v1/clients/{id}/secret', '/api/v1/webhooks/{id}/dead-letters/redeliver', '/api/v1/operators', '/api/v1/operators/{id}', '/api/v1/operators/{id}/invitation', '/api/v1/saml/service-providers', '/api/v1/saml/service-providers/{id}', '/api/v1/stores', '/api/v1/stores/{key}', '/api/v1/store/identify', '/api/v1/store/phone-verifications', '/api/v1/store/phone-verifications/{id}/check', '/api/v1/store/receipts', '/api/v1/imports', '/api/v1/imports/{id}', '/api/v1/imports/{id}/report'].sort());
    // Every operation names the roles it admits; admin is always one of them.
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) expect(operation['x-roles']).toContain('admin');
    }
    expect(document.paths['/api/v1/privacy-requests']!.post['x-roles']).toEqual(['admin', 'privacy_officer']);
    // Changes that make secrets, change roles or erase want a fresh sign-in in the console.
    const sensitive = Object.entries(document.paths).flatMap(([path, operations]) => Object.entries(operations).filter(([, operation]) => operation['x-sensitive'] === true).map(([method]) => `${method.toUpperCase()} ${path}`));
    expect(sensitive.sort()).toEqual([
      'POST /api/v1/api-keys', 'DELETE /api/v1/api-keys/{id}',
      'POST /api/v1/clients', 'PATCH /api/v1/clients/{id}', 'DELETE /api/v1/clients/{id}', 'POST /api/v1/clients/{id}/secret',
      'POST /api/v1/signing-keys/rotate',
      'POST /api/v1/webhooks', 'POST /api/v1/systems',
      'POST /api/v1/connections', 'PATCH /api/v1/connections/{key}',
      'PATCH /api/v1/customers/{id}', 'DELETE /api/v1/customers/{id}',
      'POST /api/v1/operators', 'POST /api/v1/operators/{id}/invitation', 'PATCH /api/v1/operators/{id}',
      'POST /api/v1/privacy-requests',
      'POST /api/v1/saml/service-providers', 'PATCH /api/v1/saml/service-providers/{id}', 'DELETE /api/v1/saml/service-providers/{id}',
    ].sort());
    expect(Object.keys(document.paths['/api/v1/customers/{id}']!).sort()).toEqual(['delete', 'get', 'patch']);
    const createCustomer = document.paths['/api/v1/customers']!.post.requestBody.content['application/json'].schema;
    expect(createCustomer.required).toEqual(['email']);
    expect(createCustomer.additionalProperties).toBe(false);
    expect(Object.keys(createCustomer.properties)).toEqual(expect.arrayContaining(['email', 'password', 'phone_number', 'phone_number_verified', 'given_name', 'family_name', 'locale']));
  });
});
