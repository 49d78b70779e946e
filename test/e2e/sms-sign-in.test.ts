import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { smsGatewayEnv, startGateway } from '../support/sms-gateway.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';

describe.each(DIALECTS)('sign-in with an SMS code on %s', (dialect) => {
  let server: RunningPortvakt;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let rp: RelyingParty;

  beforeAll(async () => {
    gateway = await startGateway();
    server = await startPortvakt(dialect, smsGatewayEnv(gateway.url));
    const client = (await server.api('POST', '/clients', { client_name: 'App', redirect_uris: [REDIRECT], first_party: true })).body;
    rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, REDIRECT);
    await server.api('POST', '/customers', { email: 'sms@example.se', phone_number: '+46701234567', phone_number_verified: true });
    await server.api('POST', '/customers', { email: 'unproven@example.se', phone_number: '+46709999999' });
  });
  afterAll(async () => {
    await server?.stop();
    gateway?.server.close();
  });

  async function requestCode(phone: string) {
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl({ scope: 'openid phone' }), server.url);
    const form = await agent.request(`${landing.url}/sms`);
    const csrf = csrfOf(await form.text());
    const sent = await agent.postForm(`${landing.url}/sms`, { csrf, phone });
    expect(sent.status).toBe(303);
    const page = await (await agent.request(new URL(sent.headers.get('location')!, server.url).toString())).text();
    return { agent, flow: landing.url, csrf, page };
  }

  it('texts a code to a verified number (signed webhook) and signs its owner in with amr sms', async () => {
    const { agent, flow, csrf, page } = await requestCode('+46 70-123 45 67');
    expect(page).toContain('Check your phone');
    const deadline = Date.now() + 10_000;
    while (gateway.texts.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const text = gateway.texts.at(-1)!;
    expect(text).toMatchObject({ to: '+46701234567', signatureValid: true });
    expect(text.body).toMatch(/#\d{6}$/);
    const verified = await agent.postForm(`${flow}/sms/verify`, { csrf, code: codeIn(text.body) });
    expect(verified.status).toBe(303);
    const landed = await agent.follow(new URL(verified.headers.get('location')!, server.url).toString(), server.url);
    const tokens = await rp.callback(landed.url);
    expect(tokens.claims()).toMatchObject({ amr: ['sms'], phone_number: '+46701234567', phone_number_verified: true });
  });

  it('answers an unverified or unknown number with the same page and texts nobody', async () => {
    const before = gateway.texts.length;
    const pages = [];
    for (const phone of ['+46709999999', '+46700000000']) {
      const { page, flow } = await requestCode(phone);
      pages.push(page.replaceAll(new URL(flow).pathname, 'FLOW').replace(/name="csrf" value="[^"]+"/g, '').replace(phone, 'PHONE').replace(/value="\+\d+"/, ''));
    }
    expect(pages[0]).toBe(pages[1]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gateway.texts.length).toBe(before);
  });

  it('refuses malformed numbers with a 400 page', async () => {
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl(), server.url);
    const csrf = csrfOf(await (await agent.request(`${landing.url}/sms`)).text());
    for (const phone of ['0701234567', '+0123', 'x'.repeat(50), '+46 70 123 45 67 89 01 23 45']) {
      const answer = await agent.postForm(`${landing.url}/sms`, { csrf, phone });
      expect(answer.status).toBe(400);
      expect(await answer.text()).toContain('country code');
    }
  });

  it('lets a customer confirm a new mobile number on the account page with a texted code, then sign in with it', async () => {
    const who = { email: 'new-phone@example.se', password: 'a passphrase for phones' };
    await server.api('POST', '/customers', who);
    const agent = new CookieAgent();
    expect(await agent.authorize(`${server.url}/account/phone`, server.url, who)).toBe(`${server.url}/account/phone`);
    const csrf = csrfOf(await (await agent.request(`${server.url}/account/phone`)).text());
    const before = gateway.texts.length;
    const sent = await agent.postForm(`${server.url}/account/phone`, { csrf, phone: '+46 73 555 12 12' });
    expect(sent.headers.get('location')).toBe('/account/phone/code');
    const deadline = Date.now() + 10_000;
    while (gateway.texts.length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const text = gateway.texts.at(-1)!;
    expect(text.to).toBe('+46735551212');
    // Nothing is saved before the code comes back.
    expect((await server.api('GET', '/customers?email=new-phone@example.se')).body.customers[0].phone_number).toBeNull();
    const confirmed = await agent.postForm(`${server.url}/account/phone/verify`, { csrf, code: codeIn(text.body) });
    expect(confirmed.headers.get('location')).toBe('/account/security?done=phone_verified');
    expect((await server.api('GET', '/customers?email=new-phone@example.se')).body.customers[0]).toMatchObject({ phone_number: '+46735551212', phone_number_verified: true });

    const signIn = await requestCode('+46735551212');
    const deadline2 = Date.now() + 10_000;
    while (gateway.texts.at(-1) === text && Date.now() < deadline2) await new Promise((resolve) => setTimeout(resolve, 50));
    const verified = await signIn.agent.postForm(`${signIn.flow}/sms/verify`, { csrf: signIn.csrf, code: codeIn(gateway.texts.at(-1)!.body) });
    const landed = await signIn.agent.follow(new URL(verified.headers.get('location')!, server.url).toString(), server.url);
    expect((await rp.callback(landed.url)).claims()).toMatchObject({ amr: ['sms'], phone_number: '+46735551212' });

    // Another account's number cannot be taken over.
    const taken = new CookieAgent();
    await server.api('POST', '/customers', { email: 'grabber@example.se', password: 'a grabbing passphrase' });
    await taken.authorize(`${server.url}/account/phone`, server.url, { email: 'grabber@example.se', password: 'a grabbing passphrase' });
    const csrf2 = csrfOf(await (await taken.request(`${server.url}/account/phone`)).text());
    const count = gateway.texts.length;
    await taken.postForm(`${server.url}/account/phone`, { csrf: csrf2, phone: '+46735551212' });
    while (gateway.texts.length === count && Date.now() < deadline2 + 10_000) await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await taken.postForm(`${server.url}/account/phone/verify`, { csrf: csrf2, code: codeIn(gateway.texts.at(-1)!.body) });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('This number cannot be used for your account.');
  });
});
