import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT } from '../support/shop.ts';

/** Guest checkout over HTTP: what a claim refuses, and bad input. Chromium has the happy paths. */
describe.each(DIALECTS)('guests on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: RelyingParty;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    const client = (await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [SHOP_REDIRECT], first_party: true })).body;
    shop = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
  });
  afterAll(() => server?.stop());

  /** Signs up (e-mail code) in an authorization request with the given extra parameters. */
  async function signUpWith(email: string, params: Record<string, string>) {
    const agent = new CookieAgent();
    const landing = await agent.follow(await shop.authorizationUrl({ prompt: 'create', ...params }), server.url);
    const page = await landing.response.text();
    const csrf = csrfOf(page);
    await agent.postForm(`${landing.url}/email-code`, { csrf, intent: 'sign_up', email, password: '' });
    const message = await waitForMessage(server.url, email);
    let verified = await agent.postForm(`${landing.url}/email-code/verify`, { csrf, code: codeIn(message.body) });
    if (verified.headers.get('location')?.endsWith('/passkey/offer')) verified = await agent.postForm(`${landing.url}/passkey/skip`, { csrf });
    const landed = await agent.follow(new URL(verified.headers.get('location')!, server.url).toString(), server.url);
    return { page, claims: (await shop.callback(landed.url)).claims()! };
  }

  it('opens prompt=create on the sign-up form, and claims nothing for someone with another address', async () => {
    const guest = (await server.api('POST', '/guests', { email: 'gustav@example.se', given_name: 'Gustav', order_references: ['W-1'] })).body;
    // Someone else with the link signs up with their own address: their account, not the guest.
    const other = await signUpWith('someone.else@example.se', { guest: guest.claim_token });
    expect(other.page).toContain('value="gustav@example.se"');
    expect(other.page).toContain('value="Gustav"');
    expect((await server.api('GET', `/customers/${other.claims.sub}/orders`)).body.orders).toEqual([]);
    expect((await server.api('GET', `/guests/${guest.id}`)).body.status).toBe('unclaimed');
    // The owner claims it; a second claim with the same token finds nothing.
    const owner = await signUpWith('gustav@example.se', { guest: guest.claim_token });
    expect((await server.api('GET', `/customers/${owner.claims.sub}/orders`)).body.orders.map((order: { reference: string }) => order.reference)).toEqual(['W-1']);
    expect((await server.api('GET', `/guests/${guest.id}`)).body).toMatchObject({ status: 'claimed', claimed_by: owner.claims.sub });
    const landing = await new CookieAgent().follow(await shop.authorizationUrl({ prompt: 'create', guest: guest.claim_token }), server.url);
    expect(await landing.response.text()).not.toContain('gustav@example.se');
  });

  it('does not merge a guest into an account proven only by its password: the code to the address is the proof', async () => {
    const existing = (await server.api('POST', '/customers', { email: 'pelle@example.se', password: 'pelles passphrase' })).body;
    const guest = (await server.api('POST', '/guests', { email: 'pelle@example.se', order_references: ['W-9'] })).body;
    const agent = new CookieAgent();
    const landing = await agent.follow(await shop.authorizationUrl({ guest: guest.claim_token }), server.url);
    const signedIn = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), email: 'pelle@example.se', password: 'pelles passphrase' });
    const landed = await agent.follow(new URL(signedIn.headers.get('location')!, server.url).toString(), server.url);
    expect((await shop.callback(landed.url)).claims()!.sub).toBe(existing.id);
    expect((await server.api('GET', `/customers/${existing.id}/orders`)).body.orders).toEqual([]);
    expect((await server.api('GET', `/guests/${guest.id}`)).body.status).toBe('unclaimed');
  });

  it('answers bad guests and bad claim parameters with a clear 4xx', async () => {
    for (const body of [
      { email: 'not an address' },
      { email: 'a@example.se', order_references: Array.from({ length: 21 }, (_, index) => `W-${index}`) },
      { email: 'a@example.se', consents: [{ purpose: 'no_such_purpose', version: 1, decision: 'granted' }] },
      { email: 'a@example.se', consents: [{ purpose: 'x', version: 0, decision: 'granted' }] },
      { email: 'a@example.se', shoe_size: 42 },
      { email: 'a@example.se', given_name: 'a\u0000b' },
    ]) {
      const answer = await server.api('POST', '/guests', body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status, JSON.stringify(body)).toBeLessThan(500);
    }
    expect((await server.api('GET', '/guests/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    // A malformed claim token is refused by the authorization endpoint itself.
    const refused = await new CookieAgent().follow(await shop.authorizationUrl({ prompt: 'create', guest: 'short' }), server.url);
    expect(refused.url).toMatch(/error=invalid_request/);
  });
});
