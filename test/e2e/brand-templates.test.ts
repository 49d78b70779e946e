import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { waitForMessage } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT } from '../support/shop.ts';

const OWN = { sv: { sign_up_code: { subject: 'Välkommen till {brand}! Din kod: {code}', lead: 'Hej och välkommen till köket. Skriv in koden inom {minutes} minuter.' } } };

/** A brand words its own messages: validated, previewed, and used by every code its clients send. */
describe.each(DIALECTS)('per-brand message templates on %s', (dialect) => {
  let server: RunningPortvakt;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    expect((await server.api('PUT', '/brands/kok_co', { name: 'Kök & Co', accent_color: '#b3261e' })).status).toBe(200);
    expect((await server.api('PUT', '/brands/hemma_el', { name: 'Hemma El', accent_color: '#0b6e4f' })).status).toBe(200);
  });
  afterAll(() => server?.stop());

  async function signUpCodeAt(brand: string, email: string) {
    const client = (await server.api('POST', '/clients', { client_name: 'Butik', redirect_uris: [SHOP_REDIRECT], first_party: true, brand })).body;
    const rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
    const agent = new CookieAgent({ 'accept-language': 'sv' });
    const landing = await agent.follow(await rp.authorizationUrl(), server.url);
    expect((await agent.postForm(`${landing.url}/email-code`, { csrf: csrfOf(await landing.response.text()), intent: 'sign_up', email, password: '' })).status).toBe(303);
    return waitForMessage(server.url, email);
  }

  it('sets, shows and uses a brand\'s own wording; the other brand keeps the group\'s', async () => {
    const set = await server.api('PUT', '/brands/kok_co/templates', OWN);
    expect(set.status).toBe(200);
    expect(set.body.templates).toEqual(OWN);
    expect(set.body.placeholders).toEqual(['{brand}', '{minutes}', '{code}']);
    expect((await server.api('GET', '/brands/kok_co/templates')).body.templates).toEqual(OWN);
    const own = await signUpCodeAt('kok_co', 'eget@example.se');
    expect(own.subject).toMatch(/^Välkommen till Kök & Co! Din kod: \d{6}$/);
    expect(own.body).toContain('Hej och välkommen till köket. Skriv in koden inom 15 minuter.');
    const group = await signUpCodeAt('hemma_el', 'gruppens@example.se');
    expect(group.subject).not.toContain('Välkommen till');
    expect(group.body).not.toContain('köket');
  });

  it('previews a message with a sample code, saved or not', async () => {
    const saved = await server.api('POST', '/brands/kok_co/templates/preview', { locale: 'sv', kind: 'sign_up_code' });
    expect(saved.status).toBe(200);
    expect(saved.body.subject).toBe('Välkommen till Kök & Co! Din kod: 123456');
    expect(saved.body.html).toContain('Kök &amp; Co');
    const unsaved = await server.api('POST', '/brands/kok_co/templates/preview', { locale: 'en', kind: 'phone_code', templates: { en: { phone_code: { lead: '{code} opens the kitchen, {brand}.' } } } });
    expect(unsaved.body.sms).toMatch(/^123456 opens the kitchen, Kök & Co\./);
    expect((await server.api('GET', '/brands/kok_co/templates')).body.templates).toEqual(OWN);
    for (const bad of [{ locale: 'de', kind: 'sign_up_code' }, { locale: 'sv', kind: 'newsletter' }, { locale: 'sv', kind: 'sign_up_code', templates: { sv: { sign_up_code: { lead: '<b>' } } } }]) {
      expect((await server.api('POST', '/brands/kok_co/templates/preview', bad)).status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('refuses markup, unknown placeholders, kinds, texts and locales with a stable code, and changes nothing', async () => {
    for (const bad of [
      { sv: { sign_up_code: { lead: 'Klicka <a href="https://evil.example">här</a>' } } },
      { sv: { sign_up_code: { lead: 'Hej {name}, din kod' } } },
      { sv: { sign_up_code: { lead: 'två\nrader' } } },
      { sv: { newsletter: { lead: 'Hej' } } },
      { sv: { sign_up_code: { footer: 'Hej' } } },
      { de: { sign_up_code: { lead: 'Hallo' } } },
      { sv: { sign_up_code: { subject: 'x'.repeat(301) } } },
    ]) {
      const refused = await server.api('PUT', '/brands/kok_co/templates', bad);
      expect(refused.status, JSON.stringify(bad)).toBe(400);
      expect(['validation_failed', 'unknown_field']).toContain(refused.body.error);
    }
    expect((await server.api('PUT', '/brands/no_such/templates', OWN)).status).toBe(404);
    expect((await server.api('GET', '/brands/kok_co/templates')).body.templates).toEqual(OWN);
    // {} returns the brand to the group's wording.
    expect((await server.api('PUT', '/brands/kok_co/templates', {})).body.templates).toEqual({});
  });
});
