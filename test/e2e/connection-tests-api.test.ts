import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { ADMIN_KEY, startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { UpstreamIdp } from '../support/upstream-idp.ts';

const SECRET = 'upstream-client-secret-0123456789';

/** `POST /connections/{key}/tests` and its result, over the management API: a real sign-in at the provider that signs nobody in. */
describe.each(DIALECTS)('connection tests over the API on %s', (dialect) => {
  let server: RunningPortvakt;
  let upstream: UpstreamIdp;
  let otherKey: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect, { UPSTREAM_TIMEOUT_MS: '2000' });
    upstream = await UpstreamIdp.start([`${server.url}/login/upstream/callback/partner`], SECRET);
    expect((await server.api('POST', '/connections', { key: 'partner', name: 'Partner ID', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET, enabled: false })).status).toBe(201);
    otherKey = (await server.api('POST', '/api-keys', { name: 'other admin', role: 'admin' })).body.key;
  });
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  const result = (test: string, key = ADMIN_KEY) => fetch(`${server.url}/api/v1/connections/partner/tests/${test}/result`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });

  it('starts a test on a connection that is off, holds the answer at the callback, and answers what it found once, to whoever started it', async () => {
    upstream.signedInAs = { sub: 'api-tester', email: 'api@example.se', email_verified: false };
    const started = await server.api('POST', '/connections/partner/tests', { locale: 'sv' });
    expect(started.status).toBe(201);
    expect(started.body.redirect_uri).toBe(`${server.url}/login/upstream/callback/partner`);
    const url = new URL(started.body.authorization_url);
    expect(url.searchParams.get('ui_locales')).toBe('sv');
    expect(url.searchParams.get('state')).toMatch(new RegExp(`^ct\\.${started.body.id}\\.`));
    expect((await result(started.body.id)).status).toBe(409);

    const back = await new CookieAgent().follow(started.body.authorization_url, upstream.issuer);
    // Anyone may land on the callback (the browser carries no credential there): it only holds the answer.
    const landing = await fetch(back.url);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain(`data-follow href="/console/connections/partner/tests/${started.body.id}"`);
    expect((await fetch(back.url)).status).toBe(400);

    expect((await result(started.body.id, otherKey)).status).toBe(404);
    const found = await result(started.body.id);
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ outcome: 'passed', subject: 'api-tester', email: 'api@example.se', email_verified: false, email_trusted: false, given_name: null, family_name: null, linked: false });
    expect((await result(started.body.id)).status).toBe(404);
  });

  it('holds a posted answer (form_post) only with its state, once', async () => {
    const started = await server.api('POST', '/connections/partner/tests');
    const state = new URL(started.body.authorization_url).searchParams.get('state')!;
    const post = (fields: Record<string, string>) => fetch(`${server.url}/login/upstream/callback/partner`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    expect((await post({ state: `ct.${started.body.id}.${'x'.repeat(43)}`, code: 'forged' })).status).toBe(400);
    expect((await post({ state, iss: upstream.issuer, error: 'access_denied' })).status).toBe(200);
    expect((await post({ state, error: 'access_denied' })).status).toBe(400);
    expect(await (await result(started.body.id)).json()).toMatchObject({ outcome: 'failed', reason: 'denied' });
  });

  it('reports a provider that cannot be reached at the start, with its cause', async () => {
    const doomed = await UpstreamIdp.start([`${server.url}/login/upstream/callback/gone`], SECRET);
    expect((await server.api('POST', '/connections', { key: 'gone', name: 'Gone', issuer: doomed.issuer, client_id: 'portvakt', client_secret: SECRET })).status).toBe(201);
    await doomed.close();
    const refused = await server.api('POST', '/connections/gone/tests');
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'issuer_unreachable', details: { cause: 'connection_failed' } });
    expect((await server.api('POST', '/connections/nothing/tests')).status).toBe(404);
  });
});
