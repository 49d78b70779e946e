import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, linkIn, waitForMessage } from '../support/dev-outbox.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

describe.each(DIALECTS)('passwordless sign-in by e-mail on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect));
    await server.api('POST', '/customers', { email: 'magic@example.se' });
  });
  afterAll(() => server?.stop());

  async function requestCode(email: string) {
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl(), server.url);
    const csrf = csrfOf(await landing.response.text());
    const sent = await agent.postForm(`${landing.url}/email-code`, { csrf, intent: 'sign_in', email, password: '' });
    expect(sent.status).toBe(303);
    return { agent, flow: landing.url, csrf };
  }

  it('signs an existing customer in with the magic link, in the browser that asked, once', async () => {
    const { agent } = await requestCode('magic@example.se');
    const mail = await waitForMessage(server.url, 'magic@example.se');
    expect(mail.subject).toBe('Your Portvakt sign-in code');
    const link = linkIn(mail.body);
    expect((await new CookieAgent().request(link)).status).toBe(400);
    const landed = await agent.follow(link, server.url);
    const tokens = await rp.callback(landed.url);
    expect(tokens.claims()).toMatchObject({ email: 'magic@example.se', email_verified: true, amr: ['email'] });
    expect((await agent.request(link)).status).toBeGreaterThanOrEqual(400);
  });

  it('signs in with the code; a new code replaces the old one; the sign-in proves the address', async () => {
    const { agent, flow, csrf } = await requestCode('magic@example.se');
    const first = await waitForMessage(server.url, 'magic@example.se', 2);
    const resent = await agent.postForm(`${flow}/email-code`, { csrf, intent: 'sign_in', email: 'magic@example.se' });
    expect(resent.status).toBe(303);
    const second = await waitForMessage(server.url, 'magic@example.se', 3);
    if (codeIn(first.body) !== codeIn(second.body)) {
      expect((await agent.postForm(`${flow}/email-code/verify`, { csrf, code: codeIn(first.body) })).status).toBe(400);
    }
    const verified = await agent.postForm(`${flow}/email-code/verify`, { csrf, code: codeIn(second.body) });
    expect(verified.status).toBe(303);
    const landed = await agent.follow(new URL(verified.headers.get('location')!, server.url).toString(), server.url);
    expect((await rp.callback(landed.url)).claims()).toMatchObject({ amr: ['email'] });
  });

  it('limits the codes sent to one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const agent = new CookieAgent();
      const landing = await agent.follow(await rp.authorizationUrl(), server.url);
      const csrf = csrfOf(await landing.response.text());
      statuses.push((await agent.postForm(`${landing.url}/email-code`, { csrf, intent: 'sign_in', email: 'flooded@example.se' })).status);
    }
    expect(statuses.slice(0, 5)).toEqual([303, 303, 303, 303, 303]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it('keeps the sign-up form when the customer asks for a new code', async () => {
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl(), server.url);
    const csrf = csrfOf(await landing.response.text());
    await agent.postForm(`${landing.url}/email-code`, { csrf, intent: 'sign_up', email: 'resend@example.se', given_name: 'Resa', family_name: 'Sänd', password: '' });
    await waitForMessage(server.url, 'resend@example.se');
    await agent.postForm(`${landing.url}/email-code`, { csrf, intent: 'sign_in', email: 'resend@example.se' });
    const second = await waitForMessage(server.url, 'resend@example.se', 2);
    expect(second.subject).toBe('Your code to create your Portvakt account');
    const verified = await agent.postForm(`${landing.url}/email-code/verify`, { csrf, code: codeIn(second.body) });
    expect(verified.headers.get('location')).toBe(`${new URL(landing.url).pathname}/passkey/offer`);
    const customer = (await server.api('GET', '/customers?email=resend@example.se')).body.customers[0];
    expect(customer).toMatchObject({ given_name: 'Resa', family_name: 'Sänd', email_verified: true, has_password: false });
  });
});
