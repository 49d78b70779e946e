import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

/**
 * The customer's own profile (`/account/profile`): names, language and the attributes the schema
 * lets them change, checked as the API checks them, written together or not at all; their orders.
 */
describe.each(DIALECTS)('the customer\'s profile page on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect));
    expect((await server.api('PUT', '/profile-schema/shoe_size', { type: 'enum', options: ['38', '40', '42', '44'], labels: { sv: 'Skostorlek', en: 'Shoe size' }, ask: 'never', customer_editable: true })).status).toBe(200);
    expect((await server.api('PUT', '/profile-schema/loyalty_tier', { type: 'text', labels: { sv: 'Kundnivå', en: 'Loyalty tier' }, ask: 'never' })).status).toBe(200);
  });
  afterAll(() => server?.stop());

  async function signedIn(email: string) {
    const who = { email, password: `a passphrase for ${email}` };
    const id = (await server.api('POST', '/customers', { ...who, given_name: 'Karin', family_name: 'Ek' })).body.id as string;
    const agent = new CookieAgent();
    expect(await agent.authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    return { agent, id };
  }
  const page = async (agent: CookieAgent, path = '/account/profile') => (await agent.follow(`${server.url}${path}`, server.url)).response.text();
  const customer = async (id: string) => (await server.api('GET', `/customers/${id}`)).body;
  const attributes = async (id: string) => (await server.api('GET', `/customers/${id}/attributes`)).body.attributes;

  it('shows the names, language and the attributes the customer may change, never the others', async () => {
    const { agent, id } = await signedIn('profile-show@example.se');
    expect((await server.api('PATCH', `/customers/${id}/attributes`, { loyalty_tier: 'gold', shoe_size: '40' })).status).toBe(200);
    const html = await page(agent);
    expect(html).toContain('name="given_name" type="text" autocomplete="given-name" value="Karin"');
    expect(html).toContain('name="attr.address.street_address"');
    expect(html).toContain('name="attr.birthdate"');
    expect(html).toMatch(/<option value="40" selected>40<\/option>/);
    expect(html).not.toContain('attr.loyalty_tier');
    expect(html).not.toContain('gold');
    expect(await page(agent, '/account/security')).toContain('href="/account/profile"');
  });

  it('saves names, language, address and an attribute together, as the API would have', async () => {
    const { agent, id } = await signedIn('profile-save@example.se');
    const csrf = csrfOf(await page(agent));
    const saved = await agent.postForm(`${server.url}/account/profile`, {
      csrf,
      given_name: 'Karin',
      family_name: 'Ek-Lund',
      locale: 'en',
      'attr.address.street_address': 'Storgatan 1',
      'attr.address.postal_code': '111 22',
      'attr.address.locality': 'Stockholm',
      'attr.address.country': 'SE',
      'attr.birthdate': '1980-02-29',
      'attr.shoe_size': '42',
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/account/profile?done=saved');
    expect(await customer(id)).toMatchObject({ given_name: 'Karin', family_name: 'Ek-Lund', locale: 'en' });
    expect(await attributes(id)).toEqual({ address: { street_address: 'Storgatan 1', postal_code: '111 22', locality: 'Stockholm', country: 'SE' }, birthdate: '1980-02-29', shoe_size: '42' });
    const shown = await page(agent, '/account/profile?done=saved');
    expect(shown).toContain('Saved.');
    expect(shown).toContain('value="Storgatan 1"');
    // Emptied, a field is removed; the audit log names the customer as the one who changed it.
    const cleared = await agent.postForm(`${server.url}/account/profile`, { csrf: csrfOf(shown), given_name: 'Karin', family_name: 'Ek-Lund', locale: 'en', 'attr.address.street_address': '', 'attr.address.postal_code': '', 'attr.address.locality': '', 'attr.address.country': 'SE', 'attr.birthdate': '', 'attr.shoe_size': '42' });
    expect(cleared.status).toBe(303);
    expect(await attributes(id)).toEqual({ shoe_size: '42' });
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select(['action', 'actor_type', 'actor_id']).where('subject_id', '=', id).where('action', 'in', ['customer.updated', 'customer.attributes_updated']).execute();
    expect(audit.length).toBeGreaterThanOrEqual(2);
    for (const entry of audit) expect(entry).toMatchObject({ actor_type: 'customer', actor_id: id });
  });

  it('refuses bad input in the page\'s language with the fields named, 400, and writes nothing', async () => {
    const { agent, id } = await signedIn('profile-bad@example.se');
    const before = JSON.stringify([await customer(id), await attributes(id)]);
    const cases: Array<[Record<string, string>, string]> = [
      [{ given_name: 'x'.repeat(101), family_name: 'Ek', locale: 'sv', 'attr.shoe_size': '42' }, 'Förnamn'],
      [{ given_name: 'Karin', family_name: 'Ek', locale: 'sv', 'attr.shoe_size': '47' }, 'Skostorlek'],
      [{ given_name: 'Karin', family_name: 'Ek', locale: 'sv', 'attr.birthdate': '1980-02-30' }, 'Födelsedatum'],
      [{ given_name: 'Karin', family_name: 'Ek', locale: 'fr' }, 'Språk'],
    ];
    for (const [fields, named] of cases) {
      const refused = await agent.postForm(`${server.url}/account/profile`, { csrf: csrfOf(await page(agent)), ...fields }, { 'accept-language': 'sv' });
      expect(refused.status, JSON.stringify(fields)).toBe(400);
      expect(await refused.text()).toContain(`Kontrollera de här fälten: ${named}`);
    }
    expect(JSON.stringify([await customer(id), await attributes(id)])).toBe(before);
    // An attribute the customer may not change is not on the form; posted anyway, it is ignored.
    const ignored = await agent.postForm(`${server.url}/account/profile`, { csrf: csrfOf(await page(agent)), given_name: 'Karin', family_name: 'Ek', locale: 'sv', 'attr.loyalty_tier': 'platinum' });
    expect(ignored.status).toBe(303);
    expect(await attributes(id)).toEqual({});
    // Without the CSRF token: refused, nothing written.
    expect((await agent.postForm(`${server.url}/account/profile`, { given_name: 'Mallory', family_name: 'Ek', locale: 'sv' })).status).toBe(403);
    expect((await customer(id)).given_name).toBe('Karin');
  });

  it('lists the orders of guest checkouts the customer claimed', async () => {
    const { agent, id } = await signedIn('profile-orders@example.se');
    await server.portvakt.store.db.insertInto('customer_orders').values({ customer_id: id, reference: 'ORD-4711', guest_id: null, created_at: Date.UTC(2026, 10, 3) }).execute();
    const html = await page(agent);
    expect(html).toContain('Order ORD-4711, 3 Nov 2026');
  });

  it('sends a browser without a session to sign in', async () => {
    const response = await new CookieAgent().request(`${server.url}/account/profile`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/account/login?return=/account/profile');
  });
});
