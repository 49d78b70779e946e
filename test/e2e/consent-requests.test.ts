import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT, startWithShop } from '../support/shop.ts';

const texts = (title: string) => ({
  sv: { title: `${title} (sv)`, description: `Vi använder ${title}.`, legal_text: `Juridisk text för ${title}.` },
  en: { title, description: `We use ${title}.`, legal_text: `Legal text for ${title}.` },
});
const GROUP_PURPOSES = ['newsletter', 'partner_sharing', 'profiling'];
const shownOn = (page: string) => [...page.matchAll(/name="shown" value="([^"]+)"/g)].map((match) => match[1]);

/**
 * Purposes asked for by a client (`purposes` in the authorization request) and purposes scoped to
 * one brand: asked where they belong, recorded with the client that asked, refused elsewhere.
 */
describe.each(DIALECTS)('consent purposes asked for by clients and scoped to brands on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: RelyingParty;
  let partner: RelyingParty;
  let kitchen: RelyingParty;
  let partnerId: string;

  beforeAll(async () => {
    ({ server, rp: shop } = await startWithShop(dialect));
    for (const key of GROUP_PURPOSES) expect((await server.api('POST', '/consent-purposes', { key, texts: texts(key) })).status).toBe(201);
    expect((await server.api('POST', '/consent-purposes', { key: 'kitchen_offers', brand: 'kok', texts: texts('kitchen offers') })).status).toBe(201);
    const partnerClient = (await server.api('POST', '/clients', { client_name: 'Partner', redirect_uris: [SHOP_REDIRECT] })).body;
    partnerId = partnerClient.client_id;
    partner = await RelyingParty.discover(server.url, partnerClient.client_id, partnerClient.client_secret, SHOP_REDIRECT);
    const kitchenClient = (await server.api('POST', '/clients', { client_name: 'Kök', redirect_uris: [SHOP_REDIRECT], first_party: true, brand: 'kok' })).body;
    expect(kitchenClient.brand).toBe('kok');
    kitchen = await RelyingParty.discover(server.url, kitchenClient.client_id, kitchenClient.client_secret, SHOP_REDIRECT);
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A customer who has decided every group purpose already (declined), as an agent recorded by phone. */
  async function decidedCustomer(email: string) {
    const who = { email, password: `a passphrase for ${email}` };
    const id = (await server.api('POST', '/customers', who)).body.id as string;
    for (const purpose of GROUP_PURPOSES) {
      await server.api('POST', `/customers/${id}/consents`, { purpose, version: 1, decision: 'declined', channel: 'phone', locale: 'sv', agent_id: 'agent-1' });
    }
    return { who, id };
  }

  const history = async (id: string, purpose: string) =>
    ((await server.api('GET', `/customers/${id}/consents`)).body.history as Array<{ purpose: string; decision: string; client_id: string | null; actor_type: string }>).filter((entry) => entry.purpose === purpose);

  it('asks at sign-in for a purpose the client requested and the customer declined before, records it with that client', async () => {
    const { who, id } = await decidedCustomer('asked-at-sign-in@example.se');
    const agent = new CookieAgent();
    const landing = await agent.follow(await partner.authorizationUrl({ scope: 'openid consents', purposes: 'partner_sharing' }), server.url);
    const signedIn = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), ...who });
    const due = await agent.follow(new URL(signedIn.headers.get('location')!, server.url).toString(), server.url);
    expect(due.url).toMatch(/\/consents$/);
    const page = await due.response.text();
    expect(shownOn(page)).toEqual(['partner_sharing:1']);
    const granted = await agent.postForm(due.url, { csrf: csrfOf(page), shown: 'partner_sharing:1', consent: 'partner_sharing' });
    // Then the third-party consent screen for access, without asking the purpose a second time.
    const consent = await agent.follow(new URL(granted.headers.get('location')!, server.url).toString(), server.url);
    const consentPage = await consent.response.text();
    expect(consentPage).toContain('name="decision" value="deny"');
    expect(shownOn(consentPage)).toEqual([]);
    const allowed = await agent.postForm(`${consent.url}/consent`, { csrf: csrfOf(consentPage), decision: 'allow' });
    const landed = await agent.follow(new URL(allowed.headers.get('location')!, server.url).toString(), server.url);
    const tokens = await partner.callback(landed.url);
    expect((await partner.userinfo(tokens.access_token, id)).consents).toEqual([{ purpose: 'partner_sharing', version: 1 }]);
    expect((await history(id, 'partner_sharing'))[0]).toMatchObject({ decision: 'granted', client_id: partnerId, actor_type: 'customer' });
  });

  it('asks on the consent screen of a signed-in customer, next to the access asked, and not again once granted', async () => {
    const { who, id } = await decidedCustomer('asked-on-consent@example.se');
    const agent = new CookieAgent();
    // Signed in at the shop first: the partner finds a session and only needs consent.
    expect(await agent.authorize(await shop.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    const consent = await agent.follow(await partner.authorizationUrl({ scope: 'openid consents', purposes: 'profiling newsletter' }), server.url);
    expect(consent.url).toMatch(/\/login\/[^/]+$/);
    const page = await consent.response.text();
    expect(page).toContain('name="decision" value="deny"');
    expect(shownOn(page)).toEqual(['newsletter:1', 'profiling:1']);
    const allowed = await agent.postForm(`${consent.url}/consent`, { csrf: csrfOf(page), decision: 'allow', shown: ['newsletter:1', 'profiling:1'], consent: 'profiling' });
    const landed = await agent.follow(new URL(allowed.headers.get('location')!, server.url).toString(), server.url);
    const tokens = await partner.callback(landed.url);
    expect((await partner.userinfo(tokens.access_token, id)).consents).toEqual([{ purpose: 'profiling', version: 1 }]);
    expect((await history(id, 'profiling'))[0]).toMatchObject({ decision: 'granted', client_id: partnerId });
    expect((await history(id, 'newsletter'))[0]).toMatchObject({ decision: 'declined', client_id: partnerId });

    // Granted now, access given before: straight back to the partner.
    expect(await agent.follow(await partner.authorizationUrl({ scope: 'openid consents', purposes: 'profiling' }), server.url)).toMatchObject({ url: expect.stringMatching(/\/callback\?code=/) });
    // A first-party client asking for one still declined shows only that choice, with no "deny access".
    const shopAsks = await agent.follow(await shop.authorizationUrl({ purposes: 'newsletter' }), server.url);
    const shopPage = await shopAsks.response.text();
    expect(shownOn(shopPage)).toEqual(['newsletter:1']);
    expect(shopPage).not.toContain('value="deny"');
    const rejected = await agent.postForm(`${shopAsks.url}/consent`, { csrf: csrfOf(shopPage), shown: 'newsletter:1', consent_all: 'reject' });
    expect((await agent.follow(new URL(rejected.headers.get('location')!, server.url).toString(), server.url)).url).toMatch(/\/callback\?code=/);
    expect(await history(id, 'newsletter')).toHaveLength(3);
  });

  it('refuses purposes that do not exist or belong to another brand with invalid_request, before any page', async () => {
    const agent = new CookieAgent();
    for (const purposes of ['no_such_purpose', 'kitchen_offers', 'profiling Profiling!', Array.from({ length: 21 }, (_, i) => `p${i}x`).join(' ')]) {
      const answer = await agent.follow(await partner.authorizationUrl({ purposes }), server.url);
      expect(answer.url, purposes).toMatch(/\/callback\?error=invalid_request/);
    }
    expect((await agent.follow(await kitchen.authorizationUrl({ purposes: 'kitchen_offers' }), server.url)).url).toMatch(/\/login\/[^/]+$/);
  });

  it("shows a brand's purposes only at that brand's clients: at sign-up and as due at sign-in", async () => {
    const signUpShown = async (rp: RelyingParty) => {
      const agent = new CookieAgent();
      const landing = await agent.follow(await rp.authorizationUrl(), server.url);
      return shownOn(await (await agent.request(`${landing.url}/signup`)).text());
    };
    expect(await signUpShown(shop)).toEqual(['newsletter:1', 'partner_sharing:1', 'profiling:1']);
    expect(await signUpShown(kitchen)).toEqual(['newsletter:1', 'partner_sharing:1', 'profiling:1', 'kitchen_offers:1']);

    const { who } = await decidedCustomer('brand-due@example.se');
    expect(await new CookieAgent().authorize(await shop.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    const agent = new CookieAgent();
    const landing = await agent.follow(await kitchen.authorizationUrl(), server.url);
    const signedIn = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), ...who });
    const due = await agent.follow(new URL(signedIn.headers.get('location')!, server.url).toString(), server.url);
    expect(shownOn(await due.response.text())).toEqual(['kitchen_offers:1']);
  });
});
