import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatorCode as currentTotp } from '../support/authenticator-app.ts';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const MFA = 'urn:portvakt:acr:mfa';
const ALVA = { email: 'alva@example.se', password: 'two factors are better' };
const BO = { email: 'bo@example.se', password: 'one factor for a while' };

describe.each(DIALECTS)('TOTP second factor on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  let secret: string;
  let recoveryCodes: string[];

  async function postAndFollow(agent: CookieAgent, url: string, fields: Record<string, string>) {
    const answer = await agent.postForm(url, fields);
    const location = answer.headers.get('location');
    if (!location) return { status: answer.status, url, page: await answer.text() };
    const next = await agent.follow(new URL(location, server.url).toString(), server.url);
    return { status: answer.status, url: next.url, page: next.url.startsWith(server.url) ? await next.response.text() : '' };
  }

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    const client = (await server.api('POST', '/clients', { client_name: 'Bank-grade shop', redirect_uris: [REDIRECT], first_party: true })).body;
    rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, REDIRECT);
    await server.api('POST', '/customers', ALVA);
    await server.api('POST', '/customers', BO);
  });
  afterAll(() => server?.stop());

  it('a client asking acr_values for MFA makes a customer without a second factor set one up, then issues acr mfa', async () => {
    const agent = new CookieAgent();
    const landed = await agent.authorize(await rp.authorizationUrl({ acr_values: MFA }), server.url, ALVA);
    expect(landed).toMatch(/\/login\/[^/]+\/mfa$/);
    const enrolPage = await (await agent.request(landed)).text();
    expect(enrolPage).toContain('<svg');
    secret = /data-totp-secret>([A-Z2-7 ]+)</.exec(enrolPage)![1]!.replace(/ /g, '');
    const ticket = /name="ticket" value="([^"]+)"/.exec(enrolPage)![1]!;
    const csrf = csrfOf(enrolPage);

    const wrong = await agent.postForm(`${landed}/enrol`, { csrf, ticket, code: currentTotp(secret, Date.now() + 5 * 60_000) });
    expect(wrong.status).toBe(400);
    const forged = await agent.postForm(`${landed}/enrol`, { csrf, ticket: `${ticket.slice(0, -4)}AAAA`, code: currentTotp(secret) });
    expect(forged.status).toBe(400);

    const enrolled = await agent.postForm(`${landed}/enrol`, { csrf, ticket, code: currentTotp(secret) });
    expect(enrolled.status).toBe(200);
    const codesPage = await enrolled.text();
    recoveryCodes = [...codesPage.matchAll(/<li><code>([0-9a-z]{5}-[0-9a-z]{5})<\/code><\/li>/g)].map((match) => match[1]!);
    expect(recoveryCodes).toHaveLength(10);
    const done = await postAndFollow(agent, `${landed}/continue`, { csrf });
    const tokens = await rp.callback(done.url);
    expect(tokens.claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
  });

  it('asks a customer who has TOTP for it at every sign-in; a recovery code works once and not twice', async () => {
    const first = new CookieAgent();
    const mfaPage = await first.authorize(await rp.authorizationUrl(), server.url, ALVA);
    expect(mfaPage).toMatch(/\/mfa$/);
    const csrf = csrfOf(await (await first.request(mfaPage)).text());
    expect((await first.postForm(mfaPage, { csrf, code: '000000' === currentTotp(secret) ? '111111' : '000000' })).status).toBe(400);
    const viaRecovery = await postAndFollow(first, mfaPage, { csrf, code: recoveryCodes[0]!.toUpperCase() });
    expect((await rp.callback(viaRecovery.url)).claims()).toMatchObject({ acr: 'urn:portvakt:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });

    const second = new CookieAgent();
    const again = await second.authorize(await rp.authorizationUrl(), server.url, ALVA);
    const csrf2 = csrfOf(await (await second.request(again)).text());
    const reused = await second.postForm(again, { csrf: csrf2, code: recoveryCodes[0]! });
    expect(reused.status).toBe(400);
    // The code of the next time step (the enrolment used the current one, which cannot be replayed).
    const viaTotp = await postAndFollow(second, again, { csrf: csrf2, code: currentTotp(secret, Date.now() + 30_000) });
    expect(viaTotp.url.startsWith(`${REDIRECT}?code=`)).toBe(true);
    // The same code again (same time step) is a replay and is refused.
    const third = new CookieAgent();
    const page3 = await third.authorize(await rp.authorizationUrl(), server.url, ALVA);
    const csrf3 = csrfOf(await (await third.request(page3)).text());
    expect((await third.postForm(page3, { csrf: csrf3, code: currentTotp(secret, Date.now() + 30_000) })).status).toBe(400);
  });

  it('steps a password session up to MFA when a client asks, without asking for the password again', async () => {
    const agent = new CookieAgent();
    const plain = await rp.callback(await agent.authorize(await rp.authorizationUrl(), server.url, BO));
    expect(plain.claims()).toMatchObject({ acr: 'urn:portvakt:acr:1fa', amr: ['pwd'] });
    const stepUp = await agent.follow(await rp.authorizationUrl({ acr_values: MFA }), server.url);
    expect(stepUp.url).toMatch(/\/login\/[^/]+\/mfa$/);
    const page = await stepUp.response.text();
    expect(page).not.toContain('name="password"');
    const bosSecret = /data-totp-secret>([A-Z2-7 ]+)</.exec(page)![1]!.replace(/ /g, '');
    const ticket = /name="ticket" value="([^"]+)"/.exec(page)![1]!;
    const enrolled = await agent.postForm(`${stepUp.url}/enrol`, { csrf: csrfOf(page), ticket, code: currentTotp(bosSecret) });
    expect(enrolled.status).toBe(200);
    const done = await postAndFollow(agent, `${stepUp.url}/continue`, { csrf: csrfOf(page) });
    const tokens = await rp.callback(done.url);
    expect(tokens.claims()).toMatchObject({ sub: plain.claims()!.sub, acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
  });

  it('throttles wrong second-factor codes per customer', async () => {
    const agent = new CookieAgent();
    // Bo set up TOTP in the step-up test and has no failed second steps yet.
    const mfaPage = await agent.authorize(await rp.authorizationUrl(), server.url, BO);
    const csrf = csrfOf(await (await agent.request(mfaPage)).text());
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await agent.postForm(mfaPage, { csrf, code: `zzzzz-zzzz${i}` })).status);
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it('never lets a set-up left open in a sign-in replace an authenticator, and a password reset ends it', async () => {
    const cleo = { email: 'cleo@example.se', password: 'cleo has a passphrase' };
    await server.api('POST', '/customers', cleo);
    const openEnrolment = async () => {
      const agent = new CookieAgent();
      const url = await agent.authorize(await rp.authorizationUrl({ acr_values: MFA }), server.url, cleo);
      const page = await (await agent.request(url)).text();
      return { agent, url, csrf: csrfOf(page), ticket: /name="ticket" value="([^"]+)"/.exec(page)![1]!, secret: /data-totp-secret>([A-Z2-7 ]+)</.exec(page)![1]!.replace(/ /g, '') };
    };
    const [attacker, owner] = [await openEnrolment(), await openEnrolment()];
    expect((await owner.agent.postForm(`${owner.url}/enrol`, { csrf: owner.csrf, ticket: owner.ticket, code: currentTotp(owner.secret) })).status).toBe(200);
    const late = await attacker.agent.postForm(`${attacker.url}/enrol`, { csrf: attacker.csrf, ticket: attacker.ticket, code: currentTotp(attacker.secret) });
    expect(late.status).toBe(409);
    // The owner's authenticator is the one that works.
    const check = new CookieAgent();
    const mfaPage = await check.authorize(await rp.authorizationUrl(), server.url, cleo);
    const done = await check.postForm(mfaPage, { csrf: csrfOf(await (await check.request(mfaPage)).text()), code: currentTotp(owner.secret, Date.now() + 30_000) });
    expect(done.status).toBe(303);

    const dora = { email: 'dora@example.se', password: 'dora has a passphrase' };
    const created = (await server.api('POST', '/customers', dora)).body;
    const pending = await (async () => {
      const agent = new CookieAgent();
      const url = await agent.authorize(await rp.authorizationUrl({ acr_values: MFA }), server.url, dora);
      const page = await (await agent.request(url)).text();
      return { agent, url, csrf: csrfOf(page), ticket: /name="ticket" value="([^"]+)"/.exec(page)![1]!, secret: /data-totp-secret>([A-Z2-7 ]+)</.exec(page)![1]!.replace(/ /g, '') };
    })();
    // The owner notices and has the password changed: the half-done set-up is gone with it.
    expect((await server.api('PATCH', `/customers/${created.id}`, { password: 'a new phrase for dora' })).status).toBe(200);
    const after = await pending.agent.postForm(`${pending.url}/enrol`, { csrf: pending.csrf, ticket: pending.ticket, code: currentTotp(pending.secret) });
    expect(after.status).toBe(400);
    expect((await server.portvakt.store.db.selectFrom('credentials').select('type').where('customer_id', '=', created.id).where('type', '=', 'totp').execute())).toEqual([]);
  });

  it('mails the customer when an authenticator is set up and when a recovery code is used', async () => {
    const expected = ['Two-step verification was turned on for your Portvakt account', 'A recovery code was used for your Portvakt account'];
    let subjects: (string | null)[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      subjects = (await server.portvakt.store.db.selectFrom('dev_outbox').select('subject').where('recipient', '=', 'alva@example.se').execute()).map((row) => row.subject);
      if (expected.every((subject) => subjects.includes(subject))) break;
    }
    expect(subjects).toEqual(expect.arrayContaining(expected));
  });

  it('on the account page: turning TOTP on ends other sessions, and a password-only session cannot add a passkey', async () => {
    const eva = { email: 'eva@example.se', password: 'eva keeps a passphrase' };
    await server.api('POST', '/customers', eva);
    const elsewhere = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, eva));
    const agent = new CookieAgent();
    expect(await agent.authorize(`${server.url}/account/security`, server.url, eva)).toBe(`${server.url}/account/security`);
    const setup = await (await agent.request(`${server.url}/account/security/totp`)).text();
    const secret = /data-totp-secret>([A-Z2-7 ]+)</.exec(setup)![1]!.replace(/ /g, '');
    const ticket = /name="ticket" value="([^"]+)"/.exec(setup)![1]!;
    const csrf = csrfOf(setup);
    expect((await agent.postForm(`${server.url}/account/security/totp`, { csrf, ticket, code: currentTotp(secret) })).status).toBe(200);

    const refused = await rp.refresh(elsewhere.refresh_token!).then(() => undefined, (error: { error?: string }) => error);
    expect(refused?.error).toBe('invalid_grant');
    const page = await (await agent.request(`${server.url}/account/security`)).text();
    expect(page).toContain('href="/account/login?fresh=1&amp;return=/account/security"');
    expect((await agent.postForm(`${server.url}/account/security/passkeys/options`, { csrf })).status).toBe(401);
  });
});
