import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { waitForMessage } from '../support/dev-outbox.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

const codeIn = (body: string) => /\b(\d{6})\b/.exec(body)![1]!;

/** The customer changes their password and their e-mail address from the account pages. */
describe.each(DIALECTS)('password and e-mail address changed by the customer on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect));
  });
  afterAll(() => server?.stop());

  async function customer(email: string) {
    const who = { email, password: `a passphrase for ${email}` };
    const id = (await server.api('POST', '/customers', who)).body.id as string;
    return { who, id };
  }
  async function signedIn(who: { email: string; password: string }) {
    const agent = new CookieAgent();
    expect(await agent.authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    return agent;
  }
  const page = async (agent: CookieAgent, path: string) => (await agent.follow(`${server.url}${path}`, server.url)).response.text();
  const stillSignedIn = async (agent: CookieAgent) => (await agent.request(`${server.url}/account/security`)).status === 200;
  const signsIn = async (who: { email: string; password: string }) => {
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl(), server.url);
    return (await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), ...who })).status === 303;
  };

  it('changes the password after a recent sign-in, signs out every other device, and keeps this one', async () => {
    const { who } = await customer('new-password@example.se');
    const [here, elsewhere] = [await signedIn(who), await signedIn(who)];
    const form = await page(here, '/account/password');
    expect(form).not.toContain('name="current_password"');
    const short = await here.postForm(`${server.url}/account/password`, { csrf: csrfOf(form), password: 'short' });
    expect(short.status).toBe(400);
    expect(await short.text()).toMatch(/The password must have at least \d+ characters\./);
    expect(await signsIn(who)).toBe(true);
    const changed = await here.postForm(`${server.url}/account/password`, { csrf: csrfOf(await page(here, '/account/password')), password: 'a brand new passphrase 2026' });
    expect(changed.status).toBe(303);
    expect(changed.headers.get('location')).toBe('/account/security?done=password_changed');
    expect(await stillSignedIn(here)).toBe(true);
    expect(await stillSignedIn(elsewhere)).toBe(false);
    expect(await signsIn(who)).toBe(false);
    expect(await signsIn({ email: who.email, password: 'a brand new passphrase 2026' })).toBe(true);
  });

  it('asks for the current password when the sign-in is not recent, and counts wrong ones like sign-ins', async () => {
    const { who, id } = await customer('current-password@example.se');
    const agent = await signedIn(who);
    // The sign-in an hour ago: the stored session says so.
    for (const row of await server.portvakt.store.db.selectFrom('oidc_artifacts').select(['id', 'payload']).where('model', '=', 'Session').where('account_id', '=', id).execute()) {
      const payload = JSON.parse(row.payload) as { loginTs: number };
      await server.portvakt.store.db.updateTable('oidc_artifacts').set({ payload: JSON.stringify({ ...payload, loginTs: payload.loginTs - 3600 }) }).where('model', '=', 'Session').where('id', '=', row.id).execute();
    }
    const form = await page(agent, '/account/password');
    expect(form).toContain('name="current_password"');
    const post = async (fields: Record<string, string>) => agent.postForm(`${server.url}/account/password`, { csrf: csrfOf(await page(agent, '/account/password')), ...fields });
    const missing = await post({ password: 'another new passphrase' });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('Type your current password.');
    const wrong = await post({ current_password: 'wrong passphrase', password: 'another new passphrase' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('The current password is wrong.');
    expect(await signsIn(who)).toBe(true);
    expect((await post({ current_password: who.password, password: 'another new passphrase' })).status).toBe(303);
    expect(await signsIn({ email: who.email, password: 'another new passphrase' })).toBe(true);
    // Guessing is throttled as sign-ins are.
    let status = 0;
    for (let attempt = 0; attempt < 12 && status !== 429; attempt++) status = (await post({ current_password: `guess ${attempt}`, password: 'x'.repeat(20) })).status;
    expect(status).toBe(429);
  });

  it('moves the account to a new address proven by its code, tells the old address, and ends every session', async () => {
    const { who, id } = await customer('old-address@example.se');
    const agent = await signedIn(who);
    const form = await page(agent, '/account/email');
    expect(form).toContain('old-address@example.se');
    const same = await agent.postForm(`${server.url}/account/email`, { csrf: csrfOf(form), email: who.email });
    expect(same.status).toBe(400);
    expect(await same.text()).toContain('That is the address your account already uses.');
    const asked = await agent.postForm(`${server.url}/account/email`, { csrf: csrfOf(await page(agent, '/account/email')), email: 'new-address@example.se' });
    expect(asked.status).toBe(303);
    const entry = await page(agent, '/account/email/code');
    expect(entry).toContain('new-address@example.se');
    const wrong = await agent.postForm(`${server.url}/account/email/verify`, { csrf: csrfOf(entry), code: '000000' });
    expect(wrong.status).toBe(400);
    expect((await server.api('GET', `/customers/${id}`)).body.email).toBe(who.email);
    const code = codeIn((await waitForMessage(server.url, 'new-address@example.se')).body);
    const moved = await agent.postForm(`${server.url}/account/email/verify`, { csrf: csrfOf(await page(agent, '/account/email/code')), code });
    expect(moved.status).toBe(200);
    expect(await moved.text()).toContain('Your account now uses new-address@example.se.');
    expect((await server.api('GET', `/customers/${id}`)).body).toMatchObject({ email: 'new-address@example.se', email_verified: true });
    expect((await waitForMessage(server.url, who.email)).body).toContain('Your account now uses new-address@example.se.');
    expect(await stillSignedIn(agent)).toBe(false);
    expect(await signsIn(who)).toBe(false);
    expect(await signsIn({ email: 'new-address@example.se', password: who.password })).toBe(true);
  });

  it('refuses an address another account has only once its code proves it, and changes nothing', async () => {
    await customer('taken@example.se');
    const { who, id } = await customer('wants-taken@example.se');
    const agent = await signedIn(who);
    expect((await agent.postForm(`${server.url}/account/email`, { csrf: csrfOf(await page(agent, '/account/email')), email: 'taken@example.se' })).status).toBe(303);
    const code = codeIn((await waitForMessage(server.url, 'taken@example.se')).body);
    const refused = await agent.postForm(`${server.url}/account/email/verify`, { csrf: csrfOf(await page(agent, '/account/email/code')), code });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('There is already an account with this e-mail address.');
    expect((await server.api('GET', `/customers/${id}`)).body.email).toBe(who.email);
    expect(await stillSignedIn(agent)).toBe(true);
  });
});
