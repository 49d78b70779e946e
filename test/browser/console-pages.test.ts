import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapSystems } from '../support/data-map.ts';
import { axeViolations, expectGoodPage, launchChromium } from '../support/chromium.ts';
import { englishWordsIn } from '../support/english-words.ts';
import { consoleOperator, signInWithCode, type ConsoleOperator } from '../support/console-operator.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { UpstreamIdp } from '../support/upstream-idp.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const TEXTS = { sv: { title: 'Nyhetsbrev', description: 'Erbjudanden per e-post', legal_text: 'Du kan återkalla när som helst.' }, en: { title: 'Newsletter', description: 'Offers by e-mail', legal_text: 'You can withdraw at any time.' } };

/**
 * Every console page, signed in as an admin, in Swedish and English, at 1280×800 and 390×844:
 * axe-core finds no WCAG 2.1 A/AA violation, nothing overlaps, nothing scrolls sideways, and the
 * primary action is visible. The pages of a signed-out browser (sign-in, code, invitation) too.
 */
describe('console pages in Chromium', () => {
  let server: RunningPortvakt;
  let browser: Browser;
  let upstream: UpstreamIdp;
  let apiKeyId: string;
  let webhookId: string;
  let admin: ConsoleOperator;
  let customerId: string;
  let verificationId: string;
  let invitation: string;
  let clientId: string;
  /** The admin's console session, signed in once in Chromium (a TOTP code is good once). */
  let signedIn: BrowserContextOptions['storageState'];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startPortvakt('sqlite'), launchChromium()]);
    admin = await consoleOperator(server, { email: 'layout.admin@example.se', name: 'Lovisa Layout', roles: ['admin'] });
    customerId = (await server.api('POST', '/customers', { email: 'layout.kund@example.se', given_name: 'Karl-Johan', family_name: 'Långnamnsson-Östergren', phone_number: '+46701239876' })).body.id;
    await server.api('POST', '/consent-purposes', { key: 'newsletter', texts: TEXTS });
    await server.api('POST', `/customers/${customerId}/consents`, { purpose: 'newsletter', version: 1, decision: 'granted', channel: 'phone', locale: 'sv', agent_id: 'Agent' });
    await mapSystems(server, 'crm');
    expect((await server.api('PUT', `/customers/${customerId}/references/crm`, { reference: 'CRM-000123' })).status).toBe(200);
    verificationId = (await server.api('POST', `/customers/${customerId}/verifications`, { channel: 'portal' })).body.id;
    invitation = (await server.api('POST', '/operators', { email: 'new.agent@example.se', name: 'Nils Ny', roles: ['agent'] })).body.invitation_url;
    // The administrator's settings: a connection (to a real OpenID provider on 127.0.0.1), an attribute, a webhook with a delivery, an API key.
    upstream = await UpstreamIdp.start([`${server.url}/login/upstream/callback/partner`], 'layout-upstream-secret-0123456789');
    await server.api('POST', '/connections', { key: 'partner', name: 'Partner ID', issuer: upstream.issuer, client_id: 'portvakt', client_secret: 'layout-upstream-secret-0123456789' });
    await server.api('PUT', '/profile-schema/shoe_size', { type: 'enum', labels: { sv: 'Skostorlek', en: 'Shoe size' }, options: ['38', '39', '40'], ask: 'when_requested' });
    webhookId = (await server.api('POST', '/webhooks', { url: 'https://crm.example.se/hooks/portvakt-events-with-a-long-path', event_types: ['customer.created', 'customer.updated', 'customer.deleted'], description: 'CRM' })).body.id;
    await server.api('PATCH', `/customers/${customerId}`, { given_name: 'Karl' });
    clientId = (await server.api('POST', '/clients', { client_name: 'Webbshop Hemma El', redirect_uris: ['https://shop.example.se/callback'], first_party: true })).body.client_id;
    await server.api('PUT', '/brands/hemma_el', { name: 'Hemma El', accent_color: '#0b6e4f' });
    await server.api('POST', '/systems', { key: 'crm', name: 'CRM', categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['Delete the contact'] });
    apiKeyId = (await server.api('POST', '/api-keys', { name: 'CRM-synk', role: 'integration', systems: ['crm', 'loyalty'] })).body.id;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithCode(page, server.url, admin);
    signedIn = await context.storageState();
    await context.close();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await upstream?.close();
  });

  const check = (page: Page, name: string, primary = true) => expectGoodPage(page, name, { screenshot: `${SHOTS}console-${name}.png`, primary, axe: true });

  for (const [viewportName, viewport] of Object.entries(VIEWPORTS)) {
    for (const locale of ['en', 'sv'] as const) {
      it(`every console page fits and passes axe on ${viewportName} in ${locale}`, async () => {
        const signedOut = await browser.newContext({ viewport, locale: locale === 'sv' ? 'sv-SE' : 'en-GB' });
        const anonymous = await signedOut.newPage();
        const tag = `${viewportName}-${locale}`;
        await anonymous.goto(`${server.url}/console/sign-in`);
        await check(anonymous, `sign-in-${tag}`);
        await anonymous.goto(invitation);
        await check(anonymous, `invitation-${tag}`);
        await signedOut.close();

        const context = await browser.newContext({ viewport, locale: locale === 'sv' ? 'sv-SE' : 'en-GB', storageState: signedIn });
        const page = await context.newPage();
        await page.goto(`${server.url}/console?lang=${locale}`);
        const pages: Array<[string, string, boolean]> = [
          ['/console', 'home', false],
          ['/console/customers', 'customers-empty', true],
          ['/console/customers?kind=email&q=layout.kund%40example.se', 'customers-found', true],
          ['/console/customers?kind=email&q=nobody%40example.se', 'customers-none', true],
          ['/console/customers?kind=email&q=not-an-address', 'customers-refused', true],
          [`/console/customers/${customerId}`, 'customer', false],
          [`/console/verifications/${verificationId}`, 'verification', false],
          ['/console/operators', 'operators', true],
          ['/console/settings', 'settings', false],
          ['/console/connections', 'connections', true],
          ['/console/connections/new', 'connection-presets', false],
          ['/console/connections/new?kind=apple', 'connection-new-apple', true],
          ['/console/connections/new?kind=microsoft', 'connection-new-microsoft', true],
          ['/console/connections/partner', 'connection', true],
          ['/console/connections/partner/tests/AAAAAAAAAAAAAAAAAAAAAA', 'connection-test-used', true],
          ['/console/profile-schema', 'profile-schema', true],
          ['/console/profile-schema/shoe_size', 'profile-attribute', true],
          ['/console/profile-schema/address', 'profile-attribute-built-in', true],
          ['/console/webhooks', 'webhooks', true],
          ['/console/webhooks/new', 'webhook-new', true],
          [`/console/webhooks/${webhookId}`, 'webhook', false],
          [`/console/webhooks/${webhookId}?status=dead`, 'webhook-dead', false],
          ['/console/clients', 'clients', true],
          ['/console/clients/new', 'client-new', true],
          [`/console/clients/${clientId}`, 'client', true],
          ['/console/brands', 'brands', true],
          ['/console/consent-purposes', 'consent-purposes', true],
          ['/console/consent-purposes/newsletter', 'consent-purpose', true],
          ['/console/signing-keys', 'signing-keys', false],
          ['/console/data-map', 'data-map', false],
          ['/console/privacy', 'privacy-queue', false],
          ['/console/audit', 'audit', true],
          ['/console/consent-figures', 'consent-figures', false],
          ['/console/api-keys', 'api-keys', true],
          ['/console/api-keys/new', 'api-key-new', true],
          [`/console/api-keys/${apiKeyId}`, 'api-key', false],
        ];
        for (const [path, name, primary] of pages) {
          await page.goto(`${server.url}${path}`);
          expect(await page.locator('html').getAttribute('lang'), name).toBe(locale);
          await check(page, `${name}-${tag}`, primary);
          // In Swedish, no English sentence (the page's data and what is marked English aside).
          if (locale === 'sv') expect(englishWordsIn(await page.content()), name).toEqual([]);
        }
        await context.close();
      }, 300_000);
    }
  }

  it('would see a violation (the check checks something)', async () => {
    const page = await browser.newPage();
    await page.setContent('<html><body><main><img src="/nothing.png"><input type="text"></main></body></html>');
    expect((await axeViolations(page)).map((violation) => violation.id)).toEqual(expect.arrayContaining(['html-has-lang', 'image-alt', 'label']));
    await page.close();
  });

  it('works from the keyboard: tabbing through the sign-in form and Enter signs in', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${server.url}/console/sign-in`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const order: string[] = [];
    for (let step = 0; step < 8; step++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name || document.activeElement?.textContent?.trim() || ''));
    }
    expect(order.indexOf('email')).toBeGreaterThan(-1);
    expect(order.indexOf('password')).toBe(order.indexOf('email') + 1);
    expect(order[order.indexOf('password') + 1]).toBe('Continue');
    await page.focus('#field-email');
    await page.keyboard.type(admin.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type('console passphrase for tests 2026');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/sign-in\/code/);
    await context.close();
  });
});
