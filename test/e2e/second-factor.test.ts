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
});
