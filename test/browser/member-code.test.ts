import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qrCodeSvg } from '../../src/credentials/totp-qr.ts';
import { CallbackServer } from '../support/callback-server.ts';
import { expectGoodPage, launchChromium } from '../support/chromium.ts';
import { mapSystems } from '../support/data-map.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const WHO = { email: 'medlem@example.se', password: 'a passphrase for the member code' };

/**
 * The member code in Chromium (issue 23): the customer opens /account/member; a test till reads
 * the code from the page (the QR image is checked to hold exactly those digits) and identifies the
 * customer with only the store's references; the same code again, after expiry, or at another
 * brand's till is refused. The page fits a phone and passes axe, in Swedish and English.
 */
describe.each(DIALECTS)('the member code at the till in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let shop: RelyingParty;
  let tills: Record<string, string>;
  let customerId: string;
  const identify = async (till: string, code: string) => {
    const response = await fetch(`${server.url}/api/v1/store/identify`, { method: 'POST', headers: { authorization: `Bearer ${till}`, 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect), launchChromium(), CallbackServer.start()]);
    await mapSystems(server, 'pos', 'loyalty');
    for (const brand of ['hemma', 'outlet']) await server.api('PUT', `/brands/${brand}`, { name: brand === 'hemma' ? 'Hemma' : 'Outlet', accent_color: '#0b6e4f' });
    await server.api('PUT', '/stores/sthlm-city', { name: 'Hemma Stockholm City', brand: 'hemma', system: 'pos', reference_systems: ['loyalty'] });
    await server.api('PUT', '/stores/outlet-1', { name: 'Outlet 1', brand: 'outlet', system: 'pos' });
    tills = {
      hemma: (await server.api('POST', '/api-keys', { name: 'Kassa', role: 'store', store: 'sthlm-city' })).body.key,
      outlet: (await server.api('POST', '/api-keys', { name: 'Kassa', role: 'store', store: 'outlet-1' })).body.key,
    };
    customerId = (await server.api('POST', '/customers', WHO)).body.id;
    await server.api('PUT', `/customers/${customerId}/references/loyalty`, { reference: 'L-4711' });
    const created = (await server.api('POST', '/clients', { client_name: 'Kundportal', redirect_uris: [callbacks.uri('/cb')], first_party: true })).body;
    shop = await RelyingParty.discover(server.url, created.client_id, created.client_secret, callbacks.uri('/cb'));
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
  });

  for (const locale of ['sv-SE', 'en-GB'] as const) {
    it(`shows a code a till takes once, in ${locale}`, async () => {
      const context = await browser.newContext({ locale, viewport: { width: 375, height: 740 } });
      const page = await context.newPage();
      await page.goto(await shop.authorizationUrl());
      await page.locator('input[name=email]').fill(WHO.email);
      await page.locator('input[name=password]').fill(WHO.password);
      await page.locator('button.primary').click();
      await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/cb')));

      await page.goto(`${server.url}/account/member?brand=hemma`);
      const digits = (await page.locator('.member-digits').innerText()).replaceAll(/\s/g, '');
      expect(digits).toMatch(/^\d{12}$/);
      // The QR image holds exactly these digits (the same encoder gives the same picture).
      const qr = await page.locator('.member-code img').getAttribute('src');
      expect(Buffer.from(qr!.split(',')[1]!, 'base64').toString()).toBe(await qrCodeSvg(digits));
      expect(await page.locator('.member-code img').evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0)).toBe(true);
      await expectGoodPage(page, `member-${dialect}-${locale}`, { screenshot: `${SHOTS}account-member-${dialect}-${locale}.png`, axe: true, primary: false });

      // At another brand's till: refused, and the code is still good at the right one, once.
      expect((await identify(tills.outlet!, digits)).body.error).toBe('code_other_brand');
      expect(await identify(tills.hemma!, digits)).toEqual({ status: 200, body: { visit_id: expect.any(String), customer_id: customerId, references: { loyalty: 'L-4711' }, segments: [] } });
      expect((await identify(tills.hemma!, digits)).body.error).toBe('code_used');

      // The page's script fetches the next code; an expired one is refused.
      const next = await page.evaluate(async () => (await (await fetch('/account/member/code?brand=hemma')).json()) as { code: string });
      expect(next.code).not.toBe(digits);
      await server.portvakt.store.db.updateTable('member_codes').set({ expires_at: Date.now() - 1 }).where('customer_id', '=', customerId).where('used_at', 'is', null).execute();
      expect((await identify(tills.hemma!, next.code)).body.error).toBe('code_expired');
      await context.close();
    });
  }
});
