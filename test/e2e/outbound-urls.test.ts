import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const SYSTEM = { name: 'CRM', categories: ['contact'], legal_basis: 'contract', access: 'api' } as const;

/**
 * In production a webhook receiver or data-system endpoint must be https and resolve to addresses
 * calls out may reach: refused when registered or changed, with a stable code, not only at delivery.
 */
describe.each(DIALECTS)('URLs Portvakt will call, registered in production on %s', (dialect) => {
  let server: RunningPortvakt;
  beforeAll(async () => {
    // Loopback is allowed here only so that an allowed internal network can be shown accepted.
    server = await startPortvakt(dialect, { NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9', OUTBOUND_ALLOW_INTERNAL: '127.0.0.0/8' }, { httpsIssuer: true });
  });
  afterAll(async () => server?.stop());

  const refused = [
    ['http://8.8.8.8/hook', 'insecure_url'],
    ['http://127.0.0.1:9/hook', 'insecure_url'],
    ['https://10.0.0.7/hook', 'internal_address'],
    ['https://169.254.169.254/latest/meta-data', 'internal_address'],
    ['https://192.0.2.10/hook', 'internal_address'],
    ['https://[::ffff:10.0.0.1]/hook', 'internal_address'],
    ['https://[fd00::1]/hook', 'internal_address'],
    ['https://[2001:db8::1]/hook', 'internal_address'],
    ['https://nothing.invalid/hook', 'unresolvable_host'],
  ] as const;

  it('refuses a webhook URL that is plain http or internal, and takes an https one on a permitted address', async () => {
    for (const [url, error] of refused) {
      const answer = await server.api('POST', '/webhooks', { url, event_types: ['*'] });
      expect(answer.status, url).toBe(400);
      expect(answer.body.error, url).toBe(error);
    }
    expect((await server.api('GET', '/webhooks')).body.webhooks).toEqual([]);
    for (const url of ['https://8.8.8.8/hook', 'https://127.0.0.1:9/hook']) {
      const created = await server.api('POST', '/webhooks', { url, event_types: ['*'] });
      expect(created.status, url).toBe(201);
    }
  });

  it('refuses such a data-system endpoint when the system is added and when it is changed', async () => {
    for (const [url, error] of refused) {
      const answer = await server.api('POST', '/systems', { ...SYSTEM, key: 'crm', endpoint: url });
      expect(answer.status, url).toBe(400);
      expect(answer.body.error, url).toBe(error);
    }
    expect((await server.api('POST', '/systems', { ...SYSTEM, key: 'crm', endpoint: 'https://8.8.8.8/privacy' })).status).toBe(201);
    for (const [url, error] of refused) {
      const answer = await server.api('PATCH', '/systems/crm', { endpoint: url });
      expect(answer.status, url).toBe(400);
      expect(answer.body.error, url).toBe(error);
    }
    expect((await server.api('GET', '/systems/crm')).body.endpoint).toBe('https://8.8.8.8/privacy');
    expect((await server.api('PATCH', '/systems/crm', { endpoint: 'https://127.0.0.1:9/privacy' })).status).toBe(200);
  });

  it('refuses such a back-channel logout URI when the client is registered and when it is changed', async () => {
    const client = { client_name: 'Shop', redirect_uris: ['https://shop.example/callback'] };
    const before = (await server.api('GET', '/clients')).body.clients.length;
    for (const [url, error] of refused) {
      const answer = await server.api('POST', '/clients', { ...client, backchannel_logout_uri: url });
      expect(answer.status, url).toBe(400);
      expect(answer.body.error, url).toBe(error);
    }
    expect((await server.api('GET', '/clients')).body.clients.length).toBe(before);
    const created = await server.api('POST', '/clients', { ...client, backchannel_logout_uri: 'https://8.8.8.8/logout' });
    expect(created.status).toBe(201);
    const id = created.body.client_id;
    for (const [url, error] of refused) {
      const answer = await server.api('PATCH', `/clients/${id}`, { backchannel_logout_uri: url });
      expect(answer.status, url).toBe(400);
      expect(answer.body.error, url).toBe(error);
    }
    expect((await server.api('GET', `/clients/${id}`)).body.backchannel_logout_uri).toBe('https://8.8.8.8/logout');
    expect((await server.api('PATCH', `/clients/${id}`, { client_name: 'Shop 2' })).status).toBe(200);
    expect((await server.api('PATCH', `/clients/${id}`, { backchannel_logout_uri: null })).body.backchannel_logout_uri).toBeNull();
  });
});

describe('URLs Portvakt will call, outside production', () => {
  it('are checked only when called (a local receiver over http is fine)', async () => {
    const server = await startPortvakt('sqlite');
    try {
      expect((await server.api('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', event_types: ['*'] })).status).toBe(201);
    } finally {
      await server.stop();
    }
  });
});
