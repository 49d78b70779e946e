import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT } from '../support/shop.ts';

const KOK = { name: 'Kök & Co', accent_color: '#b3261e', controller: 'Kök & Co Sverige AB', privacy_notice_url: 'https://kokco.example/integritet' };

/**
 * Sign-up and consent say who answers for the person's data (the brand's controller and privacy
 * notice, else the group's) and that the account is one for every chain of the group, naming them.
 */
describe.each(DIALECTS)('who is responsible, on the sign-up and consent pages, on %s', (dialect) => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt(dialect, { CONTROLLER_NAME: 'Gruppen Handel AB', PRIVACY_NOTICE_URL: 'https://gruppen.example/integritet' });
    expect((await server.api('PUT', '/brands/kok_co', KOK)).status).toBe(200);
    expect((await server.api('PUT', '/brands/hemma_el', { name: 'Hemma El', accent_color: '#0b6e4f' })).status).toBe(200);
  });
  afterAll(() => server?.stop());

  async function signUpPage(brand: string | null, locale: string) {
    const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [SHOP_REDIRECT], first_party: true, brand })).body;
    const rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl({ prompt: 'create', ui_locales: locale }), server.url);
    return { agent, landing, html: await landing.response.text() };
  }

  it("names the brand's controller with its notice, and every chain, in English and Swedish", async () => {
    const en = (await signUpPage('kok_co', 'en')).html;
    expect(en).toContain('Kök &amp; Co Sverige AB is responsible for your personal data.');
    expect(en).toContain('<a href="https://kokco.example/integritet" target="_blank" rel="noopener noreferrer">Read the privacy notice (opens in a new tab)</a>');
    expect(en).toContain('It is one account for the whole group: it works at Hemma El and Kök &amp; Co.');
    const sv = (await signUpPage('kok_co', 'sv')).html;
    expect(sv).toContain('Kök &amp; Co Sverige AB ansvarar för dina personuppgifter.');
    expect(sv).toContain('Läs integritetspolicyn (öppnas i en ny flik)');
    expect(sv).toContain('Det är ett konto för hela koncernen: det fungerar hos Hemma El och Kök &amp; Co.');
  });

  it("names the group's controller where the brand names none, and for a client of no brand", async () => {
    for (const brand of ['hemma_el', null]) {
      const html = (await signUpPage(brand, 'en')).html;
      expect(html, String(brand)).toContain('Gruppen Handel AB is responsible for your personal data.');
      expect(html, String(brand)).toContain('href="https://gruppen.example/integritet"');
      expect(html, String(brand)).not.toContain('Kök &amp; Co Sverige AB');
    }
  });

  it('says the same on the consent page, before anything is agreed', async () => {
    // A partner of Kök & Co (not first party) asks for access: the customer is asked to agree.
    const who = { email: 'consent-who@example.se', password: 'a passphrase for consent-who' };
    expect((await server.api('POST', '/customers', who)).status).toBe(201);
    const client = (await server.api('POST', '/clients', { client_name: 'Kök & Co partner', redirect_uris: [SHOP_REDIRECT], brand: 'kok_co' })).body;
    const rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl({ ui_locales: 'en' }), server.url);
    const signedIn = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), ...who });
    const consent = await agent.follow(new URL(signedIn.headers.get('location')!, server.url).toString(), server.url);
    const html = await consent.response.text();
    expect(html).toContain('name="decision" value="allow"');
    expect(html).toContain('Kök &amp; Co Sverige AB is responsible for your personal data.');
    expect(html).toContain('It is one account for the whole group: it works at Hemma El and Kök &amp; Co.');
  });

  it('refuses a notice that is not https and a controller without a name, and changes nothing', async () => {
    for (const bad of [{ privacy_notice_url: 'http://kokco.example/integritet' }, { privacy_notice_url: 'javascript:alert(1)' }, { controller: 'X' }, { controller: 'Kök\nAB' }]) {
      const refused = await server.api('PUT', '/brands/kok_co', { ...KOK, ...bad });
      expect(refused.status, JSON.stringify(bad)).toBe(400);
      expect(refused.body.error).toBe('validation_failed');
    }
    const kept = ((await server.api('GET', '/brands')).body.brands as Array<{ key: string }>).find((brand) => brand.key === 'kok_co');
    expect(kept).toMatchObject({ controller: KOK.controller, privacy_notice_url: KOK.privacy_notice_url });
  });
});
