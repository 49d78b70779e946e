import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { inspectLayout, launchChromium } from '../support/chromium.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const WHO = { email: 'kassan@example.se', password: 'checkout passphrase' };

describe.each(DIALECTS)('progressive profiling in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let shop: RelyingParty;

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect), launchChromium(), CallbackServer.start()]);
    await server.api('POST', '/customers', WHO);
    const created = await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [callbacks.uri('/shop')], first_party: true });
    shop = await RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, callbacks.uri('/shop'));
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
  });

  it('asks the checkout for the address on one extra screen, once; the next authorization goes straight through and the tokens carry it', async () => {
    const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    await page.goto(await shop.authorizationUrl({ scope: 'openid email address' }));
    await page.getByLabel('E-postadress').fill(WHO.email);
    await page.getByLabel('Lösenord').fill(WHO.password);
    await page.locator('button.primary').click();
    await page.waitForURL(/\/profile$/);
    expect(await page.locator('h1').textContent()).toBe('En sak till');
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}profile-due-mobile-sv-SE.png`, fullPage: true });
    const layout = await inspectLayout(page);
    expect(layout.overlaps).toEqual([]);
    expect(layout.horizontalOverflow).toBe(false);
    expect(layout.primaryButton).toMatchObject({ visible: true, insideViewport: true });
    await page.getByLabel('Gatuadress').fill('Kungsgatan 12');
    await page.getByLabel('Postnummer').fill('411 19');
    await page.getByLabel('Ort').fill('Göteborg');
    await page.getByLabel('Land').selectOption('SE');
    await page.locator('button.primary').click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    const tokens = await shop.callback(page.url());
    expect(tokens.claims()!.address).toMatchObject({ street_address: 'Kungsgatan 12', postal_code: '411 19', locality: 'Göteborg', country: 'SE' });
    expect((await shop.userinfo(tokens.access_token, tokens.claims()!.sub)).address).toMatchObject({ locality: 'Göteborg' });

    // Signed in already: the next checkout goes straight back to the shop, with the address.
    await page.goto(await shop.authorizationUrl({ scope: 'openid email address' }));
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    expect((await shop.callback(page.url())).claims()!.address).toMatchObject({ street_address: 'Kungsgatan 12' });
    await context.close();
  });
});
