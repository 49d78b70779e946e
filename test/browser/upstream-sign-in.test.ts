import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { inspectLayout, launchChromium } from '../support/chromium.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { UpstreamIdp } from '../support/upstream-idp.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const SECRET = 'upstream-client-secret-0123456789';

describe.each(DIALECTS)('"Continue with" an upstream provider in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let upstream: UpstreamIdp;
  let shop: RelyingParty;

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect), launchChromium(), CallbackServer.start()]);
    upstream = await UpstreamIdp.start([`${server.url}/login/upstream/callback/partner-id`], SECRET);
    await server.api('POST', '/connections', { key: 'partner-id', name: 'Partner ID', issuer: upstream.issuer, client_id: 'portvakt', client_secret: SECRET, trust_email_verified: true });
    const created = await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [callbacks.uri('/shop')], first_party: true });
    shop = await RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, callbacks.uri('/shop'));
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await upstream?.close();
    await server?.stop();
  });

  it('registers a new customer with prefilled names and completes the shop sign-in; the second time signs in directly', async () => {
    upstream.signedInAs = { sub: 'chromium-erik', email: 'erik@example.se', email_verified: true, given_name: 'Erik', family_name: 'Ek' };
    const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    await page.goto(await shop.authorizationUrl({ scope: 'openid email profile' }));
    await page.getByRole('button', { name: 'Fortsätt med Partner ID' }).click();
    await page.waitForURL(/\/upstream\/confirm$/);
    expect(await page.getByLabel('Förnamn').inputValue()).toBe('Erik');
    expect(await page.getByLabel('Efternamn').inputValue()).toBe('Ek');
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}upstream-confirm-mobile-sv-SE.png`, fullPage: true });
    const layout = await inspectLayout(page);
    expect(layout.overlaps).toEqual([]);
    expect(layout.primaryButton).toMatchObject({ visible: true, insideViewport: true });
    await page.getByRole('button', { name: 'Fortsätt' }).click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    const first = await shop.callback(page.url());
    expect(first.claims()).toMatchObject({ email: 'erik@example.se', given_name: 'Erik', family_name: 'Ek' });
    await context.close();

    const again = await browser.newContext({ locale: 'sv-SE' });
    const second = await again.newPage();
    await second.goto(await shop.authorizationUrl());
    await second.getByRole('button', { name: 'Fortsätt med Partner ID' }).click();
    await second.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    expect((await shop.callback(second.url())).claims()!.sub).toBe(first.claims()!.sub);
    await again.close();
  });

  it('links to an existing account once the customer proves it with the password, then shows and disconnects it under /account/connections', async () => {
    await server.api('POST', '/customers', { email: 'anna@example.se', password: 'annas long passphrase' });
    upstream.signedInAs = { sub: 'chromium-anna', email: 'anna@example.se', email_verified: true, given_name: 'Anna' };
    const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    await page.goto(await shop.authorizationUrl());
    await page.getByRole('button', { name: 'Fortsätt med Partner ID' }).click();
    await page.waitForURL(/\/upstream\/link$/);
    await expect.poll(() => page.locator('.notice').textContent()).toContain('För att logga in med Partner ID');
    expect(await page.locator('input[name=email]').inputValue()).toBe('anna@example.se');
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}upstream-link-mobile-sv-SE.png`, fullPage: true });
    const linkLayout = await inspectLayout(page);
    expect(linkLayout.overlaps).toEqual([]);
    expect(linkLayout.horizontalOverflow).toBe(false);
    expect(linkLayout.primaryButton).toMatchObject({ visible: true, insideViewport: true });
    await page.locator('input[name=password]').fill('annas long passphrase');
    await page.locator('button.primary').click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    const sub = (await shop.callback(page.url())).claims()!.sub;

    await page.goto(`${server.url}/account/connections`);
    await expect.poll(() => page.locator('li.connection').count()).toBe(1);
    expect(await page.locator('li.connection .purpose-title').textContent()).toBe('Partner ID');
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}account-connections-mobile-sv-SE.png`, fullPage: true });
    const listLayout = await inspectLayout(page);
    expect(listLayout.overlaps).toEqual([]);
    expect(listLayout.horizontalOverflow).toBe(false);
    await page.getByRole('button', { name: 'Koppla bort' }).click();
    await page.waitForURL(/done=removed/);
    expect(await page.locator('li.connection').count()).toBe(0);
    expect(await page.locator('.notice').textContent()).toBe('Bortkopplat.');
    const identities = await server.portvakt.store.db.selectFrom('identities').select('connection').where('customer_id', '=', sub).execute();
    expect(identities).toEqual([]);
    await context.close();
  });
});
