import { PassThrough } from 'node:stream';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { ADMIN_KEY, startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CUSTOMER = { email: 'ops@example.se', password: 'operations passphrase 42' };

function metric(text: string, name: string, labels: Record<string, string>): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => candidate.includes(`${key}="${value}"`)));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe.each(DIALECTS)('operations on %s', (dialect) => {
  let server: RunningPortvakt;
  const logs: string[] = [];

  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    server = await startPortvakt(dialect, { LOG_LEVEL: 'debug' }, { logStream: stream });
  });
  afterAll(() => server?.stop());

  it('counts requests, sign-ins by result and tokens by grant type, and logs no secret', async () => {
    const created = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true, grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] })).body;
    await server.api('POST', '/customers', CUSTOMER);
    const rp = await RelyingParty.discover(server.url, created.client_id, created.client_secret, REDIRECT);

    const agent = new CookieAgent();
    const page = await agent.follow(await rp.authorizationUrl(), server.url);
    await agent.postForm(`${page.url}/password`, { csrf: csrfOf(await page.response.text()), email: CUSTOMER.email, password: 'wrong but long enough' });
    const tokens = await rp.callback(await agent.authorize(await rp.authorizationUrl(), server.url, CUSTOMER));
    const refreshed = await rp.refresh(tokens.refresh_token!);
    const service = await oidc.clientCredentialsGrant(rp.config);

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(text, 'portvakt_sign_ins_total', { method: 'password', result: 'invalid_credentials' })).toBe(1);
    expect(metric(text, 'portvakt_sign_ins_total', { method: 'password', result: 'success' })).toBe(1);
    expect(metric(text, 'portvakt_tokens_issued_total', { grant_type: 'authorization_code' })).toBe(1);
    expect(metric(text, 'portvakt_tokens_issued_total', { grant_type: 'refresh_token' })).toBe(1);
    expect(metric(text, 'portvakt_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(1);
    expect(metric(text, 'http_requests_total', { method: 'POST', route: '/token', status: '200' })).toBe(3);
    expect(metric(text, 'http_requests_total', { method: 'POST', route: '/login/:uid/password', status: '401' })).toBe(1);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",method="GET",route="/login/:uid"}');

    const logged = logs.join('');
    expect(logged).toContain('"url":"/token"');
    for (const secret of [CUSTOMER.password, 'wrong but long enough', created.client_secret, ADMIN_KEY, tokens.access_token, tokens.refresh_token!, tokens.id_token!, refreshed.access_token, service.access_token]) {
      expect(logged).not.toContain(secret);
    }
    expect(logged).not.toMatch(/code=|code_challenge|state=/);
  });

  it('sets security headers on pages, API answers and protocol endpoints', async () => {
    const agent = new CookieAgent();
    const created = (await server.api('POST', '/clients', { client_name: 'Headers', redirect_uris: [REDIRECT], first_party: true })).body;
    const rp = await RelyingParty.discover(server.url, created.client_id, created.client_secret, REDIRECT);
    const page = await agent.follow(await rp.authorizationUrl(), server.url);
    const responses = [page.response, await fetch(`${server.url}/api/v1/customers`), await fetch(`${server.url}/.well-known/openid-configuration`), await fetch(`${server.url}/nope`)];
    for (const response of responses) {
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('same-origin');
    }
    expect(page.response.headers.get('cache-control')).toBe('no-store');
    // Outside /api and the protocol's JSON endpoints, a person may be reading: a 404 is a page.
    expect(responses[3]!.status).toBe(404);
    expect(responses[3]!.headers.get('content-type')).toMatch(/^text\/html/);
    const apiMissing = await fetch(`${server.url}/api/v1/nope`);
    expect(apiMissing.status).toBe(404);
    expect(await apiMissing.json()).toMatchObject({ error: 'not_found' });
  });

  it('answers /healthz always and /readyz only while the database answers', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready', database: dialect });
    await server.portvakt.store.close();
    const down = await fetch(`${server.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: 'not_ready' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('metrics access', () => {
  it('wants the METRICS_TOKEN bearer token when one is set', async () => {
    const token = 'metrics-token-0123456789abcdefgh';
    const server = await startPortvakt('sqlite', { METRICS_TOKEN: token });
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(401);
      const allowed = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('portvakt_sign_ins_total');
    } finally {
      await server.stop();
    }
  });
});

describe('cookies', () => {
  it('are httpOnly and SameSite=Lax on http, and also Secure (__Host- prefixed) behind https', async () => {
    for (const https of [false, true]) {
      const server = await startPortvakt('sqlite', {}, { httpsIssuer: https });
      try {
        const created = (await server.api('POST', '/clients', { client_name: 'C', redirect_uris: [REDIRECT], first_party: true })).body;
        const forwarded: Record<string, string> = https ? { 'x-forwarded-proto': 'https' } : {};
        const auth = new URL(`${server.url}/auth`);
        for (const [key, value] of Object.entries({ client_id: created.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })) {
          auth.searchParams.set(key, value);
        }
        const started = await fetch(auth, { redirect: 'manual', headers: forwarded });
        const interactionCookies = started.headers.getSetCookie();
        const loginPage = await fetch(new URL(started.headers.get('location')!, server.url), {
          headers: { ...forwarded, cookie: interactionCookies.map((c) => c.split(';')[0]).join('; ') },
        });
        expect(loginPage.status, https ? 'https' : 'http').toBe(200);
        const cookies = [...interactionCookies, ...loginPage.headers.getSetCookie()];
        expect(cookies.some((c) => c.startsWith(https ? '__Host-pv_csrf=' : 'pv_csrf='))).toBe(true);
        for (const cookie of cookies) {
          expect(cookie).toMatch(/; httponly/i);
          expect(cookie).toMatch(/; samesite=lax/i);
          if (https) expect(cookie).toMatch(/; secure/i);
          else expect(cookie).not.toMatch(/; secure/i);
        }
        if (https) expect(loginPage.headers.get('strict-transport-security')).toContain('max-age=');
      } finally {
        await server.stop();
      }
    }
  });
});
