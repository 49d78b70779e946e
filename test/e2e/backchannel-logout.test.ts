import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { LogoutReceiver, validateLogoutToken } from '../support/logout-receiver.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PASSWORD = 'a long enough passphrase';

interface Channel {
  rp: RelyingParty;
  clientId: string;
  receiver: LogoutReceiver;
  sessionRequired: boolean;
}

describe.each(DIALECTS)('back-channel logout on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: Channel;
  let portal: Channel;

  async function channel(name: string, sessionRequired: boolean): Promise<Channel> {
    const receiver = await LogoutReceiver.start();
    const created = await server.api('POST', '/clients', {
      client_name: name,
      redirect_uris: [REDIRECT],
      first_party: true,
      backchannel_logout_uri: receiver.uri,
      backchannel_logout_session_required: sessionRequired,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ backchannel_logout_uri: receiver.uri, backchannel_logout_session_required: sessionRequired });
    const rp = await RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, REDIRECT);
    return { rp, clientId: created.body.client_id, receiver, sessionRequired };
  }

  /** A customer signed in at the shop with the password, then at the portal without a form (SSO). */
  async function signedInAtBoth(email: string) {
    const id = (await server.api('POST', '/customers', { email, password: PASSWORD })).body.id as string;
    const agent = new CookieAgent();
    const shopTokens = await shop.rp.callback(await agent.authorize(await shop.rp.authorizationUrl(), server.url, { email, password: PASSWORD }));
    const landed = await agent.follow(await portal.rp.authorizationUrl(), server.url);
    expect(landed.url.startsWith(`${REDIRECT}?code=`)).toBe(true);
    const portalTokens = await portal.rp.callback(landed.url);
    return { id, agent, shopTokens, portalTokens };
  }

  /** Both receivers got a logout token for the customer that validates, with the sid of that client's ID token when it asked for one. */
  async function expectBothTold(signedIn: Awaited<ReturnType<typeof signedInAtBoth>>, timeoutMs = 15_000): Promise<void> {
    for (const [at, tokens] of [
      [shop, signedIn.shopTokens],
      [portal, signedIn.portalTokens],
    ] as const) {
      const [token] = await at.receiver.waitFor(signedIn.id, 1, timeoutMs);
      const idToken = tokens.claims()!;
      expect(idToken.sub).toBe(signedIn.id);
      const sid = at.sessionRequired ? String(idToken.sid) : undefined;
      if (at.sessionRequired) expect(typeof idToken.sid).toBe('string');
      const payload = await validateLogoutToken(token!, { issuer: server.url, jwksUri: at.rp.jwksUri, clientId: at.clientId, sid });
      expect(payload.sub).toBe(signedIn.id);
      if (!at.sessionRequired) expect(payload.sid).toBeUndefined();
    }
  }

  beforeAll(async () => {
    server = await startPortvakt(dialect, { OUTBOX_RETRY_BASE_MS: '500', OUTBOX_RETRY_MAX_MS: '2000', OUTBOX_POLL_MS: '200' });
    shop = await channel('Web shop', true);
    portal = await channel('Portal', false);
  });
  afterAll(async () => {
    await shop?.receiver.close();
    await portal?.receiver.close();
    await server?.stop();
  });

  it('publishes back-channel logout in discovery', async () => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });

  it('tells both clients when the customer signs out at one (RP-initiated logout), and the sign-out page does not wait for them', async () => {
    const signedIn = await signedInAtBoth('rp-logout@example.se');
    await shop.receiver.set('hang');
    await portal.receiver.set('unavailable');
    try {
      const logout = new URL(`${server.url}/session/end`);
      logout.searchParams.set('id_token_hint', signedIn.shopTokens.id_token!);
      const confirm = await signedIn.agent.follow(logout.toString(), server.url);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(await confirm.response.text())![1]!;
      const started = Date.now();
      const done = await signedIn.agent.postForm(`${server.url}/session/end/confirm`, { xsrf, logout: 'yes' });
      const page = await signedIn.agent.follow(new URL(done.headers.get('location')!, server.url).toString(), server.url);
      expect(page.response.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await shop.receiver.set('up');
      await portal.receiver.set('up');
    }
    await expectBothTold(signedIn);
  });

  it('tells both clients when an operator signs the customer out everywhere', async () => {
    const signedIn = await signedInAtBoth('operator-ends@example.se');
    expect((await server.api('DELETE', `/customers/${signedIn.id}/sessions`)).status).toBe(204);
    await expectBothTold(signedIn);
    // The session is gone: the next authorization asks for the password again.
    const next = await signedIn.agent.follow(await shop.rp.authorizationUrl(), server.url);
    expect(next.url).toMatch(new RegExp(`^${server.url}/login/`));
    expect((await server.api('DELETE', '/customers/00000000-0000-4000-8000-000000000000/sessions')).status).toBe(404);
  });

  it('tells both clients when the customer ends that session, or all others, at /account/security', async () => {
    for (const ending of ['one', 'others'] as const) {
      const email = `account-ends-${ending}@example.se`;
      const signedIn = await signedInAtBoth(email);
      const own = new CookieAgent();
      const landed = await own.authorize(`${server.url}/account/security`, server.url, { email, password: PASSWORD });
      expect(landed).toBe(`${server.url}/account/security`);
      const page = await (await own.request(landed)).text();
      const csrf = csrfOf(page);
      if (ending === 'others') {
        expect((await own.postForm(`${server.url}/account/security/sessions/end-others`, { csrf })).status).toBe(303);
      } else {
        // The page offers to end every session but the one in use: here, the one at the shop and the portal.
        const uids = [...page.matchAll(/\/account\/security\/sessions\/([A-Za-z0-9_-]+)\/end/g)].map((match) => match[1]!);
        expect(uids).toHaveLength(1);
        const other = uids[0]!;
        expect((await own.postForm(`${server.url}/account/security/sessions/${other}/end`, { csrf })).status).toBe(303);
      }
      await expectBothTold(signedIn);
    }
  });

  it('tells both clients at a password reset', async () => {
    const email = 'reset-logout@example.se';
    const signedIn = await signedInAtBoth(email);
    const stranger = new CookieAgent();
    const landing = await stranger.follow(await shop.rp.authorizationUrl(), server.url);
    const csrf = csrfOf(await (await stranger.request(`${landing.url}/forgot`)).text());
    expect((await stranger.postForm(`${landing.url}/forgot`, { csrf, email })).status).toBe(303);
    const mail = await waitForMessage(server.url, email);
    expect((await stranger.postForm(`${landing.url}/forgot/verify`, { csrf, code: codeIn(mail.body) })).status).toBe(303);
    expect((await stranger.postForm(`${landing.url}/reset`, { csrf, password: 'a brand new passphrase' })).status).toBe(303);
    await expectBothTold(signedIn);
  });

  it('tells both clients when the customer is disabled, deleted, or erased by a privacy request', async () => {
    const disabled = await signedInAtBoth('disabled@example.se');
    expect((await server.api('PATCH', `/customers/${disabled.id}`, { status: 'disabled' })).status).toBe(200);
    await expectBothTold(disabled);

    const deleted = await signedInAtBoth('deleted@example.se');
    expect((await server.api('DELETE', `/customers/${deleted.id}`)).status).toBe(204);
    await expectBothTold(deleted);

    const erased = await signedInAtBoth('erased@example.se');
    expect((await server.api('POST', '/privacy-requests', { customer_id: erased.id, kind: 'erasure', verification: 'ID checked in store' })).status).toBe(201);
    await expectBothTold(erased, 30_000);
  });

  it('delivers to a receiver that was down for 30 seconds once it is back', { timeout: 120_000 }, async () => {
    const signedIn = await signedInAtBoth('outage@example.se');
    await shop.receiver.set('unavailable');
    await portal.receiver.set('refusing');
    const attemptsBefore = shop.receiver.attempts;
    try {
      const started = Date.now();
      expect((await server.api('DELETE', `/customers/${signedIn.id}/sessions`)).status).toBe(204);
      expect(Date.now() - started).toBeLessThan(1500);
      await new Promise((resolve) => setTimeout(resolve, 15_000));
      // Halfway: the shop answers 503, then stops answering at all; the portal still refuses connections.
      await shop.receiver.set('refusing');
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    } finally {
      await shop.receiver.set('up');
      await portal.receiver.set('up');
    }
    // It was tried (and refused) while down, and nothing reached either receiver.
    expect(shop.receiver.attempts - attemptsBefore).toBeGreaterThan(1);
    expect(shop.receiver.tokens.some((token) => decodeJwt(token).sub === signedIn.id)).toBe(false);
    expect(portal.receiver.tokens.some((token) => decodeJwt(token).sub === signedIn.id)).toBe(false);
    await expectBothTold(signedIn, 20_000);
  });

  it('drops the message of a client deleted meanwhile: a dead letter the outbox API lists, without the token', async () => {
    const gone = await channel('Closing shop', false);
    const email = 'gone-client@example.se';
    const id = (await server.api('POST', '/customers', { email, password: PASSWORD })).body.id as string;
    const agent = new CookieAgent();
    await gone.rp.callback(await agent.authorize(await gone.rp.authorizationUrl(), server.url, { email, password: PASSWORD }));
    await gone.receiver.set('unavailable');
    expect((await server.api('DELETE', `/customers/${id}/sessions`)).status).toBe(204);
    const deadline = Date.now() + 10_000;
    while (gone.receiver.attempts === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(gone.receiver.attempts).toBeGreaterThan(0);
    expect((await server.api('DELETE', `/clients/${gone.clientId}`)).status).toBe(204);
    let dead: Array<Record<string, unknown>> = [];
    while (Date.now() < deadline + 10_000) {
      dead = (await server.api('GET', '/outbox?topic=oidc.backchannel_logout&status=dead')).body.messages;
      if (dead.some((message) => String(message.last_error).includes(gone.clientId))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const letter = dead.find((message) => String(message.last_error).includes(gone.clientId));
    expect(letter).toMatchObject({ topic: 'oidc.backchannel_logout', status: 'dead', last_error: `client ${gone.clientId} no longer registers a back-channel logout URI` });
    expect(JSON.stringify(letter)).not.toMatch(/eyJ/);
    await gone.receiver.set('up');
    await gone.receiver.close();
    expect((await server.api('GET', '/outbox?status=lost')).status).toBe(400);
  });

  it('refuses bad back-channel logout metadata with a stable error and writes nothing', async () => {
    const before = (await server.api('GET', '/clients?limit=100')).body.clients.length as number;
    for (const bad of [
      { backchannel_logout_uri: 'not a url' },
      { backchannel_logout_uri: 'ftp://rp.example.se/logout' },
      { backchannel_logout_uri: 'https://rp.example.se/logout#fragment' },
      { backchannel_logout_uri: '/relative/logout' },
      { backchannel_logout_uri: 42 },
      { backchannel_logout_uri: 'https://rp.example.se/\u0000' },
      { backchannel_logout_session_required: 'yes' },
    ]) {
      const refused = await server.api('POST', '/clients', { client_name: 'Bad', redirect_uris: [REDIRECT], ...bad });
      expect(refused.status, JSON.stringify(bad)).toBe(400);
      expect(refused.body.error).toBe('validation_failed');
      const patched = await server.api('PATCH', `/clients/${shop.clientId}`, bad);
      expect(patched.status, JSON.stringify(bad)).toBe(400);
      expect(patched.body.error).toBe('validation_failed');
    }
    expect((await server.api('GET', '/clients?limit=100')).body.clients.length).toBe(before);
    expect((await server.api('GET', `/clients/${shop.clientId}`)).body).toMatchObject({ backchannel_logout_uri: shop.receiver.uri, backchannel_logout_session_required: true });
  });

  it('registers, changes and removes the URI through the API', async () => {
    const created = await server.api('POST', '/clients', { client_name: 'Plain', redirect_uris: [REDIRECT] });
    expect(created.body).toMatchObject({ backchannel_logout_uri: null, backchannel_logout_session_required: false });
    const id = created.body.client_id as string;
    const set = await server.api('PATCH', `/clients/${id}`, { backchannel_logout_uri: 'https://rp.example.se/logout?tenant=1', backchannel_logout_session_required: true });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ backchannel_logout_uri: 'https://rp.example.se/logout?tenant=1', backchannel_logout_session_required: true });
    const renamed = await server.api('PATCH', `/clients/${id}`, { client_name: 'Plain 2' });
    expect(renamed.body.backchannel_logout_uri).toBe('https://rp.example.se/logout?tenant=1');
    const removed = await server.api('PATCH', `/clients/${id}`, { backchannel_logout_uri: null });
    expect(removed.status).toBe(200);
    expect(removed.body.backchannel_logout_uri).toBeNull();
    expect((await server.api('GET', `/clients/${id}`)).body.backchannel_logout_uri).toBeNull();
  });
});
