import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const METRICS_TOKEN = 'metrics-token-0123456789abcdefghij';
/** Forwarding headers a proxy sets; the loopback-only gates refuse a request carrying any of them. */
const FORWARDING: Array<Record<string, string>> = [
  { 'x-forwarded-for': '203.0.113.5' },
  { 'x-forwarded-host': 'localhost' },
  { 'x-forwarded-proto': 'http' },
  { forwarded: 'for=203.0.113.5' },
  { 'x-real-ip': '203.0.113.5' },
];

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with any headers, Host included (fetch will not send a foreign Host). */
function raw(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode!, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function endpointsOf(discovery: Record<string, unknown>): string[] {
  return Object.entries(discovery)
    .filter(([key, value]) => (key === 'issuer' || key.endsWith('_endpoint') || key === 'jwks_uri') && typeof value === 'string')
    .map(([, value]) => value as string);
}

/**
 * The edge (issue 19): forwarded headers count only from TRUST_PROXY peers, the protocol answers
 * with the configured issuer whatever Host a request names, the loopback-only gates refuse
 * forwarded requests. Headers and peers are the subject here, not storage: SQLite only.
 */
describe('production, the test is not the trusted proxy', () => {
  let server: RunningPortvakt;
  let issuer: string;

  beforeAll(async () => {
    // TRUST_PROXY names an address that is not 127.0.0.1, the test's own.
    server = await startPortvakt('sqlite', { NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9', TRUST_PROXY: '10.9.9.9' }, { httpsIssuer: true });
    issuer = server.url.replace('http:', 'https:');
  });
  afterAll(() => server?.stop());

  it('answers discovery with the issuer, whatever X-Forwarded-Host/Proto or Host an untrusted peer sends', async () => {
    const spoofs: Array<Record<string, string>> = [
      { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
      { host: 'evil.example', 'x-forwarded-proto': 'https' },
      { host: 'evil.example:443' },
      { forwarded: 'host=evil.example;proto=https' },
    ];
    for (const headers of spoofs) {
      const answer = await raw(`${server.url}/.well-known/openid-configuration`, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      expect(answer.body).not.toContain('evil.example');
      const discovery = JSON.parse(answer.body) as Record<string, unknown>;
      expect(discovery.issuer).toBe(issuer);
      for (const endpoint of endpointsOf(discovery)) expect(endpoint.startsWith(`${issuer}/`) || endpoint === issuer, endpoint).toBe(true);
      expect(discovery.token_endpoint).toBe(`${issuer}/token`);
    }
  });

  it('draws oidc-provider pages (sign-out form, device code entry) with the issuer, never the Host', async () => {
    const logout = await raw(`${server.url}/session/end`, { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    expect(logout.status).toBe(200);
    expect(logout.body).not.toContain('evil.example');
    expect(logout.body).toContain(`${issuer}/session/end/confirm`);
    const device = await raw(`${server.url}/device`, { host: 'evil.example', 'x-forwarded-proto': 'https' });
    expect(device.status).toBe(200);
    expect(device.body).not.toContain('evil.example');
  });
});

describe('development, any Host', () => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt('sqlite');
  });
  afterAll(() => server?.stop());

  it('answers discovery with the configured issuer for a foreign Host and for the address', async () => {
    const hosts: Array<Record<string, string>> = [{ host: 'evil.example' }, { host: 'evil.example:8080' }, { host: `127.0.0.1:${new URL(server.url).port}` }, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }];
    for (const headers of hosts) {
      const answer = await raw(`${server.url}/.well-known/openid-configuration`, headers);
      expect(answer.status).toBe(200);
      const discovery = JSON.parse(answer.body) as Record<string, unknown>;
      expect(discovery.issuer).toBe(server.url);
      expect(discovery.authorization_endpoint).toBe(`${server.url}/auth`);
      expect(answer.body).not.toContain('evil.example');
      expect(answer.body).not.toContain('127.0.0.1');
    }
  });

  it('gives discovery and JWKS a public Cache-Control short enough for key rotation', async () => {
    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(discovery.headers.get('cache-control')).toBe('public, max-age=300');
    const jwks = await fetch(`${server.url}/jwks`);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=60');
  });
});

describe('a proxy on the same host (TRUST_PROXY=127.0.0.1)', () => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt('sqlite', { TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => server?.stop());

  it('refuses /dev/outbox and /metrics to any forwarded request, though the peer is loopback', async () => {
    expect((await fetch(`${server.url}/dev/outbox`)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    for (const headers of FORWARDING) {
      const outbox = await fetch(`${server.url}/dev/outbox`, { headers });
      expect(outbox.status, JSON.stringify(headers)).toBe(404);
      const metrics = await fetch(`${server.url}/metrics`, { headers });
      expect(metrics.status, JSON.stringify(headers)).toBe(401);
      expect(await metrics.text()).not.toContain('process_cpu');
    }
  });

  it('tells a stranger /readyz is ready and nothing more; this machine, unforwarded, gets the details', async () => {
    const stranger = await fetch(`${server.url}/readyz`, { headers: { 'x-forwarded-for': '203.0.113.5' } });
    expect(stranger.status).toBe(200);
    expect(await stranger.json()).toEqual({ status: 'ready' });
    const local = await fetch(`${server.url}/readyz`);
    expect(await local.json()).toEqual({ status: 'ready', database: 'sqlite' });
  });
});

describe('readyz with METRICS_TOKEN', () => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt('sqlite', { TRUST_PROXY: '127.0.0.1', METRICS_TOKEN });
  });
  afterAll(() => server?.stop());

  it('gives the details to the bearer of the metrics token only', async () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.5' };
    expect(await (await fetch(`${server.url}/readyz`, { headers: forwarded })).json()).toEqual({ status: 'ready' });
    const withToken = await fetch(`${server.url}/readyz`, { headers: { ...forwarded, authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(await withToken.json()).toEqual({ status: 'ready', database: 'sqlite' });
  });
});

describe('no-store and errors of our own', () => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt('sqlite');
  });
  afterAll(() => server?.stop());

  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('marks every management API answer and every page with a form token no-store', async () => {
    const admin = { authorization: `Bearer ${'test-admin-key-0123456789abcdefghij'}` };
    const call = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { ...admin, ...(init.headers as Record<string, string>) } });
    const client = await call('/api/v1/clients', json({ client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true }));
    expect(client.status).toBe(201);
    const answers: Array<[string, Response]> = [
      ['POST /clients', client],
      ['GET /clients', await call('/api/v1/clients')],
      ['POST /api-keys', await call('/api/v1/api-keys', json({ name: 'ci', role: 'admin' }))],
      ['POST /customers', await call('/api/v1/customers', json({ email: 'nostore@example.se', password: 'a long enough passphrase' }))],
      ['GET /customers', await call('/api/v1/customers?email=nostore@example.se')],
      ['POST /webhooks', await call('/api/v1/webhooks', json({ url: 'http://127.0.0.1:9/hook', event_types: ['*'] }))],
      ['GET /webhooks', await call('/api/v1/webhooks')],
      ['GET /systems', await call('/api/v1/systems')],
      ['POST /guests', await call('/api/v1/guests', json({ email: 'guest@example.se' }))],
      ['401 without a key', await fetch(`${server.url}/api/v1/clients`)],
      ['404 under /api', await call('/api/v1/nothing-here')],
      ['GET /account', await fetch(`${server.url}/account`, { redirect: 'manual' })],
      ['GET /device', await fetch(`${server.url}/device`)],
      ['GET /session/end', await fetch(`${server.url}/session/end`)],
      ['GET /login/unknown', await fetch(`${server.url}/login/unknown`)],
      ['GET /auth', await fetch(`${server.url}/auth?${new URLSearchParams({ client_id: (await client.clone().json()).client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`, { redirect: 'manual' })],
    ];
    for (const [name, answer] of answers) {
      expect(answer.status, name).toBeLessThan(500);
      expect(String(answer.headers.get('cache-control')), name).toMatch(/no-store/);
    }
  });

  it('answers a broken percent-encoding, an unknown path, bad bodies with our own JSON under /api and our own page elsewhere', async () => {
    const page = async (path: string, init: RequestInit = {}, status = 400) => {
      const answer = await fetch(`${server.url}${path}`, { redirect: 'manual', ...init });
      expect(answer.status, path).toBe(status);
      expect(answer.headers.get('content-type'), path).toMatch(/^text\/html/);
      const text = await answer.text();
      expect(text, path).toContain('<html');
      expect(text, path).not.toContain('FST_');
      expect(answer.headers.get('content-security-policy'), path).toBeTruthy();
    };
    const api = async (path: string, init: RequestInit = {}, status = 400, error?: string) => {
      const answer = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: 'Bearer test-admin-key-0123456789abcdefghij', ...(init.headers as Record<string, string>) } });
      expect(answer.status, path).toBe(status);
      expect(answer.headers.get('content-type'), path).toMatch(/^application\/json/);
      const body = (await answer.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort(), path).toEqual(['error', 'message']);
      if (error) expect(body.error, path).toBe(error);
      expect(JSON.stringify(body), path).not.toContain('FST_');
    };
    for (const path of ['/login/%E0%A4%A', '/account/%E0%A4%A', '/device/%E0%A4%A', '/%E0%A4%A', '/session/end/%E0%A4%A']) await page(path);
    for (const path of ['/nothing-here', '/login', '/account/nothing-here', '/device/x/y']) await page(path, {}, 404);
    await page('/login/abc/email-code', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `a=${'x'.repeat(200_000)}` }, 413);
    const formOf = (body: string, type = 'application/x-www-form-urlencoded') => ({ method: 'POST', headers: { 'content-type': type }, body });
    await page('/device', formOf(`user_code=${'x'.repeat(200_000)}`), 413);
    await page('/account/phone', formOf(`name=${'x'.repeat(200_000)}`), 413);
    await page('/login/abc/email-code', formOf('{"email": ', 'application/json'), 415);
    await page('/login/abc/email-code', formOf('hello', 'text/plain'), 415);
    await page('/account/phone', formOf('hello', 'application/xml'), 415);
    await api('/api/v1/clients/%E0%A4%A', {}, 400, 'bad_request');
    await api('/api/v1/nothing-here', {}, 404, 'not_found');
    await api('/api/v1/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client_name": ' }, 400, 'invalid_json');
    await api('/api/v1/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'x'.repeat(100_000) }) }, 413, 'payload_too_large');
    await api('/api/v1/clients', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }, 415, 'unsupported_media_type');
    const badHost = await raw(`${server.url}/login/abc`, { host: 'localhost:99999' });
    expect(badHost.status).toBe(400);
    expect(badHost.headers['content-type']).toMatch(/^text\/html/);
    expect(badHost.headers['content-security-policy']).toBeTruthy();
    const badApiHost = await raw(`${server.url}/api/v1/clients`, { host: 'localhost:99999' });
    expect(badApiHost.status).toBe(400);
    expect(JSON.parse(badApiHost.body)).toMatchObject({ error: 'invalid_host' });
    // The protocol's JSON endpoints answer as OAuth does: {error, error_description}.
    const token = await fetch(`${server.url}/token/%E0%A4%A`, { method: 'POST' });
    expect(token.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys((await token.json()) as object).sort()).toEqual(['error', 'error_description']);
    const large = await fetch(`${server.url}/token`, formOf(`grant_type=${'x'.repeat(200_000)}`));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: 'payload_too_large', error_description: expect.any(String) });
    const missing = await fetch(`${server.url}/token/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found', error_description: expect.any(String) });
  });
});
