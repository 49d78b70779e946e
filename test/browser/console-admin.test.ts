import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatorCode } from '../support/authenticator-app.ts';
import { CallbackServer } from '../support/callback-server.ts';
import { inspectLayout, launchChromium } from '../support/chromium.ts';
import { consoleOperator, OPERATOR_PASSWORD, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
/** A 1×1 green PNG. */
const SVG_LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#0a7d3b"/></svg>';
const LOGO = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const CUSTOMER = { email: 'kund@example.se', password: 'one account for the group' };

/**
 * The acceptance flow of the administrator's console in Chromium: an administrator signs in,
 * adds a brand with a logo (the preview shows it), registers a client of that brand (its secret
 * shown once, never again) and a consent purpose in two languages; then a customer's sign-in at
 * that client, by an ordinary relying party with the secret the console showed, is in the
 * brand's look and asks for the purpose.
 */
describe.each(DIALECTS)('the administrator console in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let admin: ConsoleOperator;

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect), launchChromium(), CallbackServer.start()]);
    admin = await consoleOperator(server, { email: 'admin@example.se', name: 'Anna Admin', roles: ['admin'] });
    await server.api('POST', '/customers', CUSTOMER);
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
  });

  async function fits(page: Page, name: string): Promise<void> {
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
    const layout = await inspectLayout(page);
    expect(layout.overlaps, name).toEqual([]);
    expect(layout.horizontalOverflow, name).toBe(false);
  }

  it('creates a brand, a client and a consent purpose; the hosted sign-in at that client shows the brand and the purpose', async () => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/console/sign-in`);
    await page.getByLabel('Work e-mail address').fill(admin.email);
    await page.getByLabel('Password').fill(OPERATOR_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Code').fill(authenticatorCode(admin.secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/console`);

    // A brand with a logo: the preview shows the logo, and the hosted page in the brand's look.
    // The administrator's pages are under the menu's one "Settings" entry.
    await page.locator('nav').getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Brands' }).click();
    await page.getByLabel('Key').fill('hemma_el');
    await page.getByLabel('Name').fill('Hemma El');
    await page.locator('#field-accent_color').fill('#0a7d3b');
    await page.getByLabel('Logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: LOGO });
    await page.getByLabel('Sender of its e-mails').fill('Hemma El <kund@hemmael.se>');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForURL(`${server.url}/console/brands/hemma_el?done=created`);
    expect(await page.locator('.brand-preview img').evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBe(1);
    expect(await page.locator('.brand-preview img').getAttribute('alt')).toBe('Hemma El');
    await fits(page, 'console-brand');
    // The preview follows the form before anything is saved: the colour (a sample button, its
    // contrast against white), the name, another logo.
    await page.locator('#field-accent_color').fill('#ffcc00');
    await page.locator('#field-name').fill('Hemma El Outlet');
    expect(await page.locator('.brand-preview-button').evaluate((element) => getComputedStyle(element).backgroundColor)).toBe('rgb(255, 204, 0)');
    expect(await page.locator('[data-preview-contrast]').textContent()).toBe('1.5:1, too low for text: WCAG AA asks 4.5:1. Choose a darker colour.');
    await page.getByLabel('New logo').setInputFiles({ name: 'other.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(SVG_LOGO) });
    await page.locator('.brand-preview img[src^="data:image/svg+xml"]').waitFor();
    expect(await page.locator('.brand-preview img:visible').count()).toBe(1);
    expect(await page.locator('.brand-preview img:visible').getAttribute('alt')).toBe('Hemma El Outlet');
    await page.locator('#field-accent_color').fill('#0a7d3b');
    expect(await page.locator('[data-preview-contrast]').textContent()).toBe('5.2:1, enough for text (WCAG AA asks 4.5:1)');
    expect((await server.api('GET', '/brands')).body.brands).toContainEqual(expect.objectContaining({ key: 'hemma_el', name: 'Hemma El', accent_color: '#0a7d3b' }));
    await page.getByRole('link', { name: 'Open the sign-in page in this look' }).click();
    expect(await page.locator('.brand img.logo').evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBe(1);
    expect(await page.locator('button.primary').first().evaluate((element) => getComputedStyle(element).backgroundColor)).toBe('rgb(10, 125, 59)');
    expect(await page.locator('.notice').textContent()).toContain('nothing here signs anyone in');

    // A client of that brand: the secret is on the answer to the registration, and nowhere after.
    await page.goto(`${server.url}/console/clients/new`);
    await page.getByLabel('Name').fill('Hemma El webbshop');
    await page.getByLabel('Web application (server)').check();
    await page.getByLabel('Redirect URIs').fill(callbacks.uri('/shop'));
    await page.getByLabel('Our own application (first party)').check();
    await page.getByLabel('Brand').selectOption({ label: 'Hemma El' });
    await fits(page, 'console-client-new');
    await page.getByRole('button', { name: 'Register' }).click();
    const secret = (await page.locator('#client-secret').textContent())!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const clientId = (await page.locator('dt:has-text("Client ID") + dd code').textContent())!;
    await fits(page, 'console-client-secret');
    await page.goto(`${server.url}/console/clients/${clientId}`);
    expect(await page.content()).not.toContain(secret);
    expect(await page.locator('#client-secret').count()).toBe(0);
    await page.goto(`${server.url}/console/clients`);
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('link', { name: 'Hemma El webbshop' }).click();
    expect(await page.content()).not.toContain(secret);

    // A consent purpose of that brand, in Swedish and English side by side.
    await page.goto(`${server.url}/console/consent-purposes`);
    const sv = await page.locator('fieldset[lang=sv]').boundingBox();
    const en = await page.locator('fieldset[lang=en]').boundingBox();
    expect(Math.abs(sv!.y - en!.y)).toBeLessThan(2);
    expect(en!.x).toBeGreaterThan(sv!.x + sv!.width - 1);
    await page.getByLabel('Key').fill('profiling');
    await page.getByLabel('Asked at').selectOption({ label: 'Hemma El' });
    for (const [language, title, description, legal] of [
      ['sv', 'Personliga erbjudanden', 'Vi använder dina köp för att ge dig erbjudanden.', 'Villkor för personliga erbjudanden.'],
      ['en', 'Personal offers', 'We use your purchases to give you offers.', 'Terms for personal offers.'],
    ] as const) {
      const fieldset = page.locator(`fieldset[lang=${language}]`);
      await fieldset.getByLabel('Title').fill(title);
      await fieldset.getByLabel('Description').fill(description);
      await fieldset.getByLabel('Legal text').fill(legal);
    }
    await fits(page, 'console-purposes');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(`${server.url}/console/consent-purposes/profiling?done=created`);
    await context.close();

    // The customer's sign-in at that client (an ordinary relying party, with the secret the console showed).
    const shop = await RelyingParty.discover(server.url, clientId, secret, callbacks.uri('/shop'));
    const customer = await (await browser.newContext({ locale: 'sv-SE', viewport: { width: 375, height: 740 } })).newPage();
    await customer.goto(await shop.authorizationUrl());
    expect(await customer.title()).toContain('Hemma El');
    expect(await customer.locator('.brand img.logo').evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBe(1);
    await customer.getByLabel('E-postadress').fill(CUSTOMER.email);
    await customer.getByLabel('Lösenord').fill(CUSTOMER.password);
    await customer.locator('button.primary').click();
    await customer.getByLabel('Personliga erbjudanden').check();
    expect(await customer.locator('.brand img.logo').count()).toBe(1);
    expect(await customer.locator('button.primary').evaluate((element) => getComputedStyle(element).backgroundColor)).toBe('rgb(10, 125, 59)');
    if (dialect === 'sqlite') await customer.screenshot({ path: `${SHOTS}console-made-brand-purpose-sv-SE.png`, fullPage: true });
    await customer.getByRole('button', { name: 'Fortsätt' }).click();
    await customer.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    const tokens = await shop.callback(customer.url());
    const consents = (await server.api('GET', `/customers/${tokens.claims()!.sub}/consents`)).body;
    expect(consents.history).toEqual([expect.objectContaining({ purpose: 'profiling', version: 1, decision: 'granted', client_id: clientId, brand: 'hemma_el', locale: 'sv' })]);
  });
});
