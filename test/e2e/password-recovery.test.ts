import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, linkIn } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SmtpCatcher } from '../support/smtp-catcher.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const KNOWN = { email: 'known@example.se', password: 'the old passphrase here' };

/** Starts a sign-in in a fresh browser and opens "forgot password": answers the agent, the flow URL and the page's CSRF token. */
async function openForgot(server: RunningPortvakt, rp: RelyingParty) {
  const agent = new CookieAgent();
  const landing = await agent.follow(await rp.authorizationUrl(), server.url);
  const forgot = await agent.request(`${landing.url}/forgot`);
  expect(forgot.status).toBe(200);
  return { agent, flow: landing.url, csrf: csrfOf(await forgot.text()) };
}

/** The page with everything that differs per request (flow id, CSRF token, the address typed) blanked out. */
function comparable(page: string, flow: string, email: string): string {
  return page.replaceAll(new URL(flow).pathname, '/login/UID').replace(/name="csrf" value="[^"]+"/g, 'csrf').replaceAll(email, 'EMAIL');
}

describe.each(DIALECTS)('password recovery on %s', (dialect) => {
  let server: RunningPortvakt;
  let smtp: SmtpCatcher;
  let rp: RelyingParty;

  beforeAll(async () => {
    smtp = await SmtpCatcher.start();
    server = await startPortvakt(dialect, { SMTP_URL: smtp.url });
    const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true })).body;
    rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, REDIRECT);
    await server.api('POST', '/customers', KNOWN);
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
  });

  it('answers a known and an unknown address with the same page, mails only the known one, and the reset revokes old refresh tokens', async () => {
    const before = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, KNOWN));
    expect(before.refresh_token).toBeTruthy();

    const pages: string[] = [];
    const flows: Record<string, Awaited<ReturnType<typeof openForgot>>> = {};
    for (const email of ['nobody@example.se', KNOWN.email]) {
      const opened = await openForgot(server, rp);
      flows[email] = opened;
      const sent = await opened.agent.postForm(`${opened.flow}/forgot`, { csrf: opened.csrf, email });
      expect(sent.status).toBe(303);
      const codePage = await opened.agent.request(new URL(sent.headers.get('location')!, server.url).toString());
      expect(codePage.status).toBe(200);
      pages.push(comparable(await codePage.text(), opened.flow, email));
    }
    expect(pages[0]).toBe(pages[1]);

    const mail = await smtp.waitFor(KNOWN.email);
    expect(mail.text).toContain('Subject: Reset your Portvakt password');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.mails.filter((caught) => caught.to.includes('nobody@example.se'))).toEqual([]);

    const { agent, flow, csrf } = flows[KNOWN.email]!;
    const verified = await agent.postForm(`${flow}/forgot/verify`, { csrf, code: codeIn(mail.text) });
    expect(verified.status).toBe(303);
    expect(verified.headers.get('location')).toBe(`${new URL(flow).pathname}/reset`);
    const weak = await agent.postForm(`${flow}/reset`, { csrf, password: 'password' });
    expect(weak.status).toBe(400);
    const reset = await agent.postForm(`${flow}/reset`, { csrf, password: 'a brand new passphrase' });
    expect(reset.status).toBe(303);
    const landed = await agent.follow(new URL(reset.headers.get('location')!, server.url).toString(), server.url);
    const after = await rp.callback(landed.url);
    expect(after.claims()).toMatchObject({ email: KNOWN.email, amr: ['email'] });

    // Whoever held the old password (or its tokens) is out: the old refresh token is dead, the new one works.
    const refused = await rp.refresh(before.refresh_token!).then(() => undefined, (error: unknown) => error);
    expect((refused as oidc.ResponseBodyError).error).toBe('invalid_grant');
    expect((await rp.refresh(after.refresh_token!)).access_token).toBeTruthy();
    // The old password no longer signs in; the new one does.
    expect(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, KNOWN).catch((error: Error) => error.message)).toMatch(/answered 401/);
    expect(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, { ...KNOWN, password: 'a brand new passphrase' })).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    // The completed reset cannot be replayed.
    expect((await agent.postForm(`${flow}/reset`, { csrf, password: 'another passphrase again' })).status).toBeGreaterThanOrEqual(400);
  });

  it('takes the link once, in the browser that asked, and answers replayed, foreign and malformed links with a 4xx page', async () => {
    const opened = await openForgot(server, rp);
    await opened.agent.postForm(`${opened.flow}/forgot`, { csrf: opened.csrf, email: KNOWN.email });
    const mail = await smtp.waitFor(KNOWN.email, 2);
    const link = linkIn(mail.text);
    expect(link.startsWith(`${opened.flow}/reset-link?token=`)).toBe(true);

    const stranger = await new CookieAgent().request(link);
    expect(stranger.status).toBe(400);
    expect(await stranger.text()).toContain('The sign-in took too long or was already finished');

    const first = await opened.agent.request(link);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe(`${new URL(opened.flow).pathname}/reset`);
    for (const bad of [link, `${opened.flow}/reset-link?token=${'A'.repeat(43)}`, `${opened.flow}/reset-link?token=%00`, `${opened.flow}/reset-link`]) {
      const answer = await opened.agent.request(bad);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/text\/html/);
    }
  });

  it('kills a code after 10 wrong entries: the right code then fails too, with 429', async () => {
    const opened = await openForgot(server, rp);
    await opened.agent.postForm(`${opened.flow}/forgot`, { csrf: opened.csrf, email: KNOWN.email });
    const mail = await smtp.waitFor(KNOWN.email, 3);
    const right = codeIn(mail.text);
    const wrong = right === '000000' ? '111111' : '000000';
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await opened.agent.postForm(`${opened.flow}/forgot/verify`, { csrf: opened.csrf, code: wrong })).status);
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(400));
    expect(statuses[9]).toBe(429);
    const late = await opened.agent.postForm(`${opened.flow}/forgot/verify`, { csrf: opened.csrf, code: right });
    expect(late.status).toBe(429);
    expect(await late.text()).toContain('Too many wrong codes');
    for (const malformed of ['', '12345', '1234567', 'abcdef', '١٢٣٤٥٦', 'x'.repeat(41)]) {
      expect((await opened.agent.postForm(`${opened.flow}/forgot/verify`, { csrf: opened.csrf, code: malformed })).status).toBeGreaterThanOrEqual(400);
    }
  });

  it('limits wrong codes per address across fresh codes, and a code sent to a replaced address resets nothing', async () => {
    const who = { email: 'guessed@example.se', password: 'a passphrase to guess' };
    await server.api('POST', '/customers', who);
    const opened = await openForgot(server, rp);
    const statuses: number[] = [];
    for (let round = 1; round <= 3; round++) {
      await opened.agent.postForm(`${opened.flow}/forgot`, { csrf: opened.csrf, email: who.email });
      const right = codeIn((await smtp.waitFor(who.email, round)).text);
      const wrong = right === '000000' ? '111111' : '000000';
      for (let i = 0; i < (round < 3 ? 9 : 3); i++) statuses.push((await opened.agent.postForm(`${opened.flow}/forgot/verify`, { csrf: opened.csrf, code: wrong })).status);
    }
    // 20 wrong codes for one address are allowed in all, whatever the code; then entries wait.
    expect(statuses.slice(0, 20).every((status) => status === 400)).toBe(true);
    expect(statuses[20]).toBe(429);

    const moved = await openForgot(server, rp);
    const mover = { email: 'moving@example.se', password: 'a passphrase that moves' };
    const movingId = (await server.api('POST', '/customers', mover)).body.id;
    await moved.agent.postForm(`${moved.flow}/forgot`, { csrf: moved.csrf, email: mover.email });
    const code = codeIn((await smtp.waitFor(mover.email)).text);
    expect((await server.api('PATCH', `/customers/${movingId}`, { email: 'moved@example.se' })).status).toBe(200);
    const refused = await moved.agent.postForm(`${moved.flow}/forgot/verify`, { csrf: moved.csrf, code });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('The code has expired or was already used');
  });
});
