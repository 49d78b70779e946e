import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapSystems } from '../support/data-map.ts';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT } from '../support/shop.ts';

const WHO = { email: 'member@example.se', password: 'a members passphrase' };

/** External references released as the `references` claim only for the systems a client is allowed; found both ways through the API. */
describe.each(DIALECTS)('external references on %s', (dialect) => {
  let server: RunningPortvakt;
  let customerId: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    customerId = (await server.api('POST', '/customers', WHO)).body.id;
    await mapSystems(server, 'crm', 'loyalty');
    await server.api('PUT', `/customers/${customerId}/references/crm`, { reference: 'CRM-1' });
    await server.api('PUT', `/customers/${customerId}/references/loyalty`, { reference: 'L-9' });
  });
  afterAll(() => server?.stop());

  async function claimsFor(clientBody: Record<string, unknown>) {
    const created = await server.api('POST', '/clients', { redirect_uris: [SHOP_REDIRECT], first_party: true, ...clientBody });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const rp = await RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, SHOP_REDIRECT);
    const landed = await new CookieAgent().authorize(await rp.authorizationUrl({ scope: 'openid email references' }), server.url, WHO);
    const tokens = await rp.callback(landed);
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    return { created: created.body, idToken: tokens.claims()!, userinfo };
  }

  it('gives the loyalty app its loyalty number and nothing of the CRM; a client allowed no system gets no references', async () => {
    const app = await claimsFor({ client_name: 'Kundklubbsappen', reference_systems: ['loyalty'] });
    expect(app.created.reference_systems).toEqual(['loyalty']);
    expect(app.userinfo.references).toEqual({ loyalty: 'L-9' });
    expect(app.idToken.references).toEqual({ loyalty: 'L-9' });
    const shop = await claimsFor({ client_name: 'Webbshop' });
    expect(shop.created.reference_systems).toEqual([]);
    expect(shop.userinfo.references).toBeUndefined();
    expect(shop.idToken.references).toBeUndefined();
    // Allowed both: both.
    const crm = await claimsFor({ client_name: 'Kundportal', reference_systems: ['crm', 'loyalty'] });
    expect(crm.userinfo.references).toEqual({ crm: 'CRM-1', loyalty: 'L-9' });
  });

  it('finds the customer from a reference, and refuses malformed lookups and client settings', async () => {
    expect((await server.api('GET', '/customers?ref=loyalty:L-9')).body.customers.map((customer: { id: string }) => customer.id)).toEqual([customerId]);
    expect((await server.api('GET', '/customers?ref=loyalty:L-10')).body.customers).toEqual([]);
    for (const query of ['ref=loyalty', 'ref=Loyalty:L-9', 'ref=:x', 'email=a@b.se&ref=loyalty:L-9', 'phone=0701234567']) {
      const answer = await server.api('GET', `/customers?${query}`);
      expect(answer.status, query).toBe(400);
    }
    for (const reference_systems of [['CRM'], 'crm', [1], Array.from({ length: 51 }, (_, index) => `s${index}x`)]) {
      expect((await server.api('POST', '/clients', { client_name: 'x', redirect_uris: [SHOP_REDIRECT], reference_systems })).status, JSON.stringify(reference_systems)).toBe(400);
    }
  });
});
