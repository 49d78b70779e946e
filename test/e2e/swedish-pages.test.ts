import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { englishWordsIn } from '../support/english-words.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT, startWithShop } from '../support/shop.ts';

const SWEDISH = { 'accept-language': 'sv-SE,sv;q=0.9' };

/**
 * Every page a person sees, and the error pages, in Swedish: no English sentence (technical terms
 * and what is marked English for a developer aside). A Swedish page with an English sentence in it
 * fails here, with the English words it found.
 */
describe('the hosted pages in Swedish', () => {
  let server: RunningPortvakt;
  let shop: RelyingParty;
  let partner: RelyingParty;
  const who = { email: 'svenska@example.se', password: 'en lösenfras för svenska sidor' };

  beforeAll(async () => {
    ({ server, rp: shop } = await startWithShop('sqlite', { CONTROLLER_NAME: 'Gruppen Handel AB', PRIVACY_NOTICE_URL: 'https://gruppen.example/integritet' }));
    await server.api('PUT', '/brands/hemma_el', { name: 'Hemma El', accent_color: '#0b6e4f' });
    await server.api('PUT', '/brands/kok_co', { name: 'Kök & Co', accent_color: '#b3261e' });
    const texts = { title: 'Erbjudanden', description: 'Erbjudanden via e-post.', legal_text: 'Tills du återkallar.' };
    await server.api('POST', '/consent-purposes', { key: 'offers', texts: { sv: texts, en: { ...texts, title: 'Offers' } } });
    await server.api('POST', '/systems', { key: 'crm', name: 'Kundregister', categories: ['contact', 'purchase_history'], legal_basis: 'contract', access: 'manual', checklist: ['Radera kontakten'] });
    await server.api('POST', '/customers', who);
    const client = (await server.api('POST', '/clients', { client_name: 'Partnerbutiken', redirect_uris: [SHOP_REDIRECT] })).body;
    partner = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
  });
  afterAll(() => server?.stop());

  const swedishOnly = (name: string, html: string) => {
    expect(html, name).toContain('<html lang="sv">');
    expect(englishWordsIn(html), name).toEqual([]);
  };

  it('signs in, signs up and recovers in Swedish', async () => {
    const agent = new CookieAgent(SWEDISH);
    const landing = await agent.follow(await shop.authorizationUrl(), server.url);
    const signIn = await landing.response.text();
    swedishOnly('sign-in', signIn);
    for (const step of ['forgot', 'sms', 'signup']) swedishOnly(step, await (await agent.follow(`${landing.url}/${step}`, server.url)).response.text());
    swedishOnly('sign-up (prompt=create)', await (await new CookieAgent(SWEDISH).follow(await shop.authorizationUrl({ prompt: 'create' }), server.url)).response.text());
    const wrong = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(signIn), email: who.email, password: 'fel lösenord' });
    swedishOnly('sign-in refused', await wrong.text());
    const asked = await agent.postForm(`${landing.url}/email-code`, { csrf: csrfOf(signIn), intent: 'sign_in', email: who.email, password: '' });
    expect(asked.status).toBe(303);
    swedishOnly('code entry', await (await agent.follow(new URL(asked.headers.get('location')!, server.url).href, server.url)).response.text());
  });

  it('says what went wrong in Swedish on the error page, the English detail kept for the developer', async () => {
    const agent = new CookieAgent(SWEDISH);
    const url = new URL(await shop.authorizationUrl());
    url.searchParams.set('redirect_uri', 'https://evil.example/cb');
    const response = await agent.request(url.href);
    const html = await response.text();
    expect(response.status).toBe(400);
    expect(html).toContain('Appen bad oss skicka tillbaka dig till en adress som den inte har registrerat');
    expect(html).toMatch(/<details class="developer"><summary>Detaljer för appens utvecklare<\/summary><p class="hint"><code>invalid_redirect_uri<\/code> <span lang="en">[^<]+<\/span>/);
    swedishOnly('error page', html);
    swedishOnly('unknown page', await (await agent.request(`${server.url}/no-such-page`, { headers: { accept: 'text/html' } })).text());
  });

  it('shows every account page, the consent page and sign-out in Swedish', async () => {
    const agent = new CookieAgent(SWEDISH);
    expect(await agent.authorize(await shop.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    for (const path of ['/account/security', '/account/profile', '/account/password', '/account/email', '/account/privacy', '/account/consents', '/account/connections', '/account/verifications', '/account/phone', '/account/personalization', '/account/member']) {
      const page = await agent.follow(`${server.url}${path}`, server.url);
      swedishOnly(path, await page.response.text());
    }
    const consent = await agent.follow(await partner.authorizationUrl(), server.url);
    const html = await consent.response.text();
    expect(html).toContain('name="decision" value="allow"');
    swedishOnly('consent', html);
    swedishOnly('sign-out', await (await agent.follow(`${server.url}/session/end`, server.url)).response.text());
  });

  it('would see an English sentence (the check checks something)', async () => {
    const english = await (await new CookieAgent({ 'accept-language': 'en' }).follow(await shop.authorizationUrl(), server.url)).response.text();
    expect(englishWordsIn(english.replace('<html lang="en">', '<html lang="sv">')).length).toBeGreaterThan(2);
    expect(englishWordsIn('<p>Logga in <span lang="en">Sign in with the app</span> <code>the_code</code></p>')).toEqual([]);
  });
});
