import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { inspectLayout, launchChromium } from '../support/chromium.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const WHO = { email: 'delad@example.se', password: 'one account for the group' };
/** A 1×1 green PNG. */
const LOGO = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** Two brands of one group, one customer: each brand's look, the one-time notice at the second, then single sign-on. */
describe.each(DIALECTS)('brands in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let elshop: RelyingParty;
  let kokshop: RelyingParty;

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect), launchChromium(), CallbackServer.start()]);
    expect((await server.api('PUT', '/brands/hemma_el', { name: 'Hemma El', accent_color: '#0A7D3B', logo: { type: 'image/png', base64: LOGO } })).status).toBe(200);
    expect((await server.api('PUT', '/brands/kok_co', { name: 'Kök & Co', accent_color: '#b3261e' })).status).toBe(200);
    const client = async (name: string, brand: string, path: string) => {
      const created = await server.api('POST', '/clients', { client_name: name, brand, redirect_uris: [callbacks.uri(path)], first_party: true });
      return RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, callbacks.uri(path));
    };
    [elshop, kokshop] = await Promise.all([client('Hemma El webbshop', 'hemma_el', '/el'), client('Kök & Co webbshop', 'kok_co', '/kok')]);
    await server.api('POST', '/customers', WHO);
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
  });

  it('signs in at one brand in its look, shows the second brand its look and the one-time notice, then single sign-on', async () => {
    const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    const buttonColour = () => page.locator('button.primary').evaluate((element) => getComputedStyle(element).backgroundColor);

    await page.goto(await elshop.authorizationUrl());
    expect(await page.title()).toContain('Hemma El');
    expect(await page.locator('.brand img.logo').getAttribute('alt')).toBe('Hemma El');
    expect(await page.locator('.brand img.logo').evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBe(1);
    expect(await buttonColour()).toBe('rgb(10, 125, 59)');
    await page.getByLabel('E-postadress').fill(WHO.email);
    await page.getByLabel('Lösenord').fill(WHO.password);
    await page.locator('button.primary').click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/el')));
    const sub = (await elshop.callback(page.url())).claims()!.sub;

    // Signed in to the group: the other brand asks for no password, but tells once, in its own look.
    await page.goto(await kokshop.authorizationUrl());
    await page.waitForSelector('h1');
    expect(await page.locator('h1').textContent()).toBe('Välkommen till Kök & Co');
    expect(await page.locator('p.lead').textContent()).toBe('Du använder ditt Portvakt-konto hos Kök & Co.');
    expect(await buttonColour()).toBe('rgb(179, 38, 30)');
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}brand-notice-mobile-sv-SE.png`, fullPage: true });
    const layout = await inspectLayout(page);
    expect(layout.overlaps).toEqual([]);
    expect(layout.primaryButton).toMatchObject({ visible: true, insideViewport: true });
    await page.locator('button.primary').click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/kok')));
    expect((await kokshop.callback(page.url())).claims()!.sub).toBe(sub);

    // Once: the next time is plain single sign-on.
    await page.goto(await kokshop.authorizationUrl());
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/kok')));
    expect((await kokshop.callback(page.url())).claims()!.sub).toBe(sub);
    await context.close();
  });

  it('shows the notice inside a fresh sign-in at the second brand too, and refuses bad brands', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await server.api('POST', '/customers', { email: 'ny@example.se', password: 'a new shared account' });
    await page.goto(await elshop.authorizationUrl());
    await page.getByLabel('E-mail address').fill('ny@example.se');
    await page.getByLabel('Password').fill('a new shared account');
    await page.locator('button.primary').click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/el')));
    // A silent request (prompt=none) at the second brand is never stopped for the notice.
    await page.goto(await kokshop.authorizationUrl({ prompt: 'none' }));
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/kok')));
    expect(page.url()).toContain('code=');
    // Another browser, no session: the sign-in at the second brand shows the notice before going on.
    const other = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    await other.goto(await kokshop.authorizationUrl());
    await other.getByLabel('E-mail address').fill('ny@example.se');
    await other.getByLabel('Password').fill('a new shared account');
    await other.locator('button.primary').click();
    await other.waitForSelector('h1:has-text("Welcome to Kök & Co")');
    await other.locator('button.primary').click();
    await other.waitForURL((url) => url.toString().startsWith(callbacks.uri('/kok')));
    await context.close();

    for (const [key, body] of [
      ['Bad Key', { name: 'x', accent_color: '#000000' }],
      ['hemma_el', { name: 'x', accent_color: 'green' }],
      ['hemma_el', { name: 'x', accent_color: '#000000', logo: { type: 'image/gif', base64: LOGO } }],
      ['hemma_el', { name: 'x', accent_color: '#000000', logo: { type: 'image/png', base64: 'not base64!' } }],
      ['hemma_el', { name: '', accent_color: '#000000' }],
      ['hemma_el', { name: 'x', accent_color: '#000000', sender: 'Evil\r\nBcc: everyone@example.se <a@b.se>' }],
      ['hemma_el', { name: 'x', accent_color: '#000000', sender: 'not an address' }],
      ['hemma_el', { name: 'x', accent_color: '#000000', sender: 'a@evil.example, Kund <kund@hemmael.se>' }],
    ] as const) {
      const answer = await server.api('PUT', `/brands/${encodeURIComponent(key)}`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect((await fetch(`${server.url}/assets/brands/no_such.css`)).status).toBe(404);
  });
});
