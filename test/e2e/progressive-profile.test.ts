import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT } from '../support/shop.ts';

const WHO = { email: 'profile@example.se', password: 'a profile passphrase' };
const ADDRESS = { street_address: 'Storgatan 1', postal_code: '111 22', locality: 'Stockholm', country: 'SE' };

/** The profile schema through the API, typed values, and progressive profiling at sign-in (over HTTP; Chromium has its own test). */
describe.each(DIALECTS)('profile schema and progressive profiling on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: RelyingParty;
  let customerId: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    const client = (await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [SHOP_REDIRECT], first_party: true })).body;
    shop = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
    customerId = (await server.api('POST', '/customers', WHO)).body.id;
  });
  afterAll(() => server?.stop());

  /** A password sign-in that stops wherever the hosted flow shows a page (or ends at the shop). */
  async function signIn(agent: CookieAgent, params: Record<string, string>) {
    const landing = await agent.follow(await shop.authorizationUrl(params), server.url);
    const submitted = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), ...WHO });
    return { flow: landing.url, next: await agent.follow(new URL(submitted.headers.get('location')!, server.url).toString(), server.url) };
  }

  it('keeps the schema: built-in address and birthdate, custom typed attributes, and refuses what does not fit', async () => {
    const listed = await server.api('GET', '/profile-schema');
    expect(listed.body.attributes.map((attribute: { key: string }) => attribute.key)).toEqual(['address', 'birthdate']);
    const shoe = await server.api('PUT', '/profile-schema/favourite_store', { type: 'enum', labels: { sv: 'Favoritbutik', en: 'Favourite store' }, options: ['Malmö', 'Lund'], ask: 'never' });
    expect(shoe.status, JSON.stringify(shoe.body)).toBe(200);
    expect((await server.api('PUT', '/profile-schema/newsletter_sms', { type: 'boolean', labels: { sv: 'SMS', en: 'SMS' } })).status).toBe(200);
    for (const [key, body, error] of [
      ['email', { type: 'text', labels: { sv: 'x', en: 'x' } }, 'reserved_attribute'],
      ['address', { type: 'text', labels: { sv: 'x', en: 'x' } }, 'built_in_attribute'],
      ['size', { type: 'enum', labels: { sv: 'x', en: 'x' } }, 'validation_failed'],
      ['size', { type: 'text', labels: { sv: 'x', en: 'x' }, options: ['a'] }, 'validation_failed'],
      ['Bad Key', { type: 'text', labels: { sv: 'x', en: 'x' } }, 'validation_failed'],
      ['size', { type: 'colour', labels: { sv: 'x', en: 'x' } }, 'validation_failed'],
      ['size', { type: 'text', labels: { sv: 'x' } }, 'validation_failed'],
    ] as const) {
      const answer = await server.api('PUT', `/profile-schema/${encodeURIComponent(key)}`, body);
      expect(answer.status, key).toBeGreaterThanOrEqual(400);
      expect(answer.status, key).toBeLessThan(500);
      expect(answer.body.error, `${key} ${JSON.stringify(body)}`).toBe(error);
    }
    // Values are checked against their type; nothing is written when one is wrong.
    for (const [changes, error] of [
      [{ shoe_size: 42 }, 'unknown_attribute'],
      [{ favourite_store: 'Göteborg' }, 'validation_failed'],
      [{ birthdate: '2001-02-30' }, 'validation_failed'],
      [{ birthdate: '2999-01-01' }, 'validation_failed'],
      [{ address: { ...ADDRESS, country: 'Sweden' } }, 'validation_failed'],
      [{ address: { ...ADDRESS, extra: 1 } }, 'validation_failed'],
      [{ newsletter_sms: 'yes' }, 'validation_failed'],
      [{ birthdate: '1990-05-17', favourite_store: 'Göteborg' }, 'validation_failed'],
    ] as const) {
      const answer = await server.api('PATCH', `/customers/${customerId}/attributes`, changes);
      expect(answer.body.error, JSON.stringify(changes)).toBe(error);
    }
    expect((await server.api('GET', `/customers/${customerId}/attributes`)).body.attributes).toEqual({});
    const set = await server.api('PATCH', `/customers/${customerId}/attributes`, { birthdate: '1990-05-17', favourite_store: 'Lund', newsletter_sms: true });
    expect(set.body.attributes).toEqual({ birthdate: '1990-05-17', favourite_store: 'Lund', newsletter_sms: true });
    expect((await server.api('PATCH', `/customers/${customerId}/attributes`, { newsletter_sms: null })).body.attributes).toEqual({ birthdate: '1990-05-17', favourite_store: 'Lund' });
  });

  it('asks for the address once when the shop asks for it at checkout; the next time goes straight through with the address in the tokens', async () => {
    const agent = new CookieAgent();
    const first = await signIn(agent, { scope: 'openid email address' });
    expect(first.next.url).toBe(`${first.flow}/profile`);
    const page = await first.next.response.text();
    expect(page).toContain('name="attr.address.street_address"');
    expect(page).not.toContain('attr.birthdate');
    // A wrong postal code is shown again with what was typed, and nothing is saved.
    const wrong = await agent.postForm(`${first.flow}/profile`, { csrf: csrfOf(page), 'attr.address.street_address': 'Storgatan 1', 'attr.address.postal_code': '<>', 'attr.address.locality': 'Stockholm', 'attr.address.country': 'SE' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('value="Storgatan 1"');
    const saved = await agent.postForm(`${first.flow}/profile`, { csrf: csrfOf(page), 'attr.address.street_address': ADDRESS.street_address, 'attr.address.postal_code': ADDRESS.postal_code, 'attr.address.locality': ADDRESS.locality, 'attr.address.country': 'SE' });
    const landed = await agent.follow(new URL(saved.headers.get('location')!, server.url).toString(), server.url);
    const tokens = await shop.callback(landed.url);
    expect(tokens.claims()!.address).toMatchObject(ADDRESS);
    expect((await shop.userinfo(tokens.access_token, tokens.claims()!.sub)).address).toMatchObject({ ...ADDRESS, formatted: 'Storgatan 1\n111 22 Stockholm\nSE' });

    const second = await signIn(new CookieAgent(), { scope: 'openid email address' });
    expect(second.next.url).toMatch(/\/callback\?code=/);
  });

  it('asks for a single claim a client names in the claims parameter, and lets the customer say "not now"', async () => {
    await server.api('PUT', '/profile-schema/birthdate', { type: 'date', labels: { sv: 'Födelsedatum', en: 'Date of birth' }, ask: 'when_requested' });
    await server.api('PATCH', `/customers/${customerId}/attributes`, { birthdate: null });
    const agent = new CookieAgent();
    // The claims parameter picks among the scopes asked for, never beyond them.
    const widened = await new CookieAgent().follow(await shop.authorizationUrl({ scope: 'openid', claims: JSON.stringify({ userinfo: { birthdate: null } }) }), server.url);
    expect(widened.url).toMatch(/error=invalid_request/);
    const first = await signIn(agent, { scope: 'openid profile', claims: JSON.stringify({ userinfo: { birthdate: { essential: true } } }) });
    expect(first.next.url).toBe(`${first.flow}/profile`);
    const page = await first.next.response.text();
    expect(page).toContain('name="attr.birthdate"');
    const skipped = await agent.postForm(`${first.flow}/profile`, { csrf: csrfOf(page), skip: '1' });
    const landed = await agent.follow(new URL(skipped.headers.get('location')!, server.url).toString(), server.url);
    const tokens = await shop.callback(landed.url);
    expect((await shop.userinfo(tokens.access_token, tokens.claims()!.sub)).birthdate).toBeUndefined();
    // A client that does not ask is not made to wait: scope profile alone does not ask for the birthdate.
    expect((await signIn(new CookieAgent(), { scope: 'openid email profile' })).next.url).toMatch(/\/callback\?code=/);
  });
});
