import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { expectGoodPage, launchChromium } from '../support/chromium.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, mobile: { width: 375, height: 740 } } as const;
const LOCALES = { 'en-GB': { save: 'Save', saved: 'Saved.' }, 'sv-SE': { save: 'Spara', saved: 'Sparat.' } } as const;

/**
 * The customer's own pages in Chromium, as a person uses them: the profile (names, address, an
 * attribute), orders and "my data"; a new password (the other browser is signed out); a new
 * e-mail address with its code (the old address is told). Each page fits, passes axe and is
 * captured, on desktop and phone, in English and Swedish.
 */
describe('the customer\'s profile, password and address in Chromium', () => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let shop: RelyingParty;

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt('sqlite'), launchChromium(), CallbackServer.start()]);
    const created = (await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [callbacks.uri('/cb')], first_party: true })).body;
    shop = await RelyingParty.discover(server.url, created.client_id, created.client_secret, callbacks.uri('/cb'));
    await server.api('PUT', '/profile-schema/shoe_size', { type: 'enum', options: ['38', '40', '42'], labels: { sv: 'Skostorlek', en: 'Shoe size' }, ask: 'never', customer_editable: true });
    await server.api('POST', '/systems', { key: 'crm', name: 'Kundregister (CRM)', categories: ['contact', 'purchase_history'], legal_basis: 'contract', access: 'manual', checklist: ['Delete the contact'] });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
  });

  const check = (page: Page, name: string) => expectGoodPage(page, name, { screenshot: `${SHOTS}${name}.png`, axe: true });

  async function signIn(page: Page, who: { email: string; password: string }) {
    await page.goto(await shop.authorizationUrl());
    await page.locator('input[name=email]').fill(who.email);
    await page.locator('input[name=password]').fill(who.password);
    await page.locator('button.primary').click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/cb')));
  }

  for (const [viewportName, viewport] of Object.entries(VIEWPORTS)) {
    for (const [locale, words] of Object.entries(LOCALES)) {
      it(`changes the profile, the password and the address on ${viewportName} in ${locale}`, async () => {
        const tag = `${viewportName}-${locale}`;
        const who = { email: `konto-${tag.toLowerCase()}@example.se`, password: 'a passphrase for the account pages' };
        const id = (await server.api('POST', '/customers', { ...who, given_name: 'Kim' })).body.id as string;
        await server.api('PUT', `/customers/${id}/references/crm`, { reference: `CRM-${tag}` });
        await server.portvakt.store.db.insertInto('customer_orders').values({ customer_id: id, reference: `ORD-${tag}`, guest_id: null, created_at: Date.UTC(2026, 10, 3) }).execute();
        const context = await browser.newContext({ viewport, locale });
        const other = await browser.newContext({ viewport, locale });
        const page = await context.newPage();
        const elsewhere = await other.newPage();
        await signIn(page, who);
        await signIn(elsewhere, who);

        // The profile: names, address, an attribute; saved together, shown again.
        await page.goto(`${server.url}/account/profile`);
        await check(page, `account-profile-form-${tag}`);
        await page.locator('#field-family_name').fill('Åberg');
        await page.locator('[id="field-attr.address.street_address"]').fill('Storgatan 1');
        await page.locator('[id="field-attr.address.postal_code"]').fill('111 22');
        await page.locator('[id="field-attr.address.locality"]').fill('Stockholm');
        await page.locator('[id="field-attr.shoe_size"]').selectOption('42');
        await page.getByRole('button', { name: words.save, exact: true }).click();
        await page.getByText(words.saved).waitFor();
        expect(await page.locator(`[data-order="ORD-${tag}"]`).count()).toBe(1);
        await check(page, `account-profile-saved-${tag}`);
        expect((await server.api('GET', `/customers/${id}`)).body.family_name).toBe('Åberg');
        expect((await server.api('GET', `/customers/${id}/attributes`)).body.attributes).toMatchObject({ shoe_size: '42', address: { locality: 'Stockholm' } });

        // My data: every system in plain words, with the customer's number there.
        await page.goto(`${server.url}/account/privacy`);
        expect(await page.content()).toContain(`CRM-${tag}`);
        expect(await page.content()).not.toContain('purchase_history');
        await check(page, `account-my-data-${tag}`);

        // A new password: the other browser is signed out, this one stays.
        await page.goto(`${server.url}/account/password`);
        await check(page, `account-password-${tag}`);
        await page.locator('#field-password').fill('a brand new passphrase for the account');
        await page.locator('form[action="/account/password"] button.primary').click();
        await page.waitForURL(/done=password_changed/);
        await elsewhere.goto(`${server.url}/account/security`);
        // Signed out there: the account page sends it through the sign-in page.
        expect(elsewhere.url()).toMatch(/\/login\/[A-Za-z0-9_-]+$/);
        expect(await elsewhere.locator('input[name=password]').count()).toBe(1);

        // A new address, proven by its code; the old address is told; everyone signs in again.
        await page.goto(`${server.url}/account/email`);
        await check(page, `account-email-${tag}`);
        const address = `ny-${tag.toLowerCase()}@example.se`;
        await page.locator('#field-email').fill(address);
        await page.locator('form[action="/account/email"] button.primary').click();
        await page.waitForURL(/\/account\/email\/code$/);
        await check(page, `account-email-code-${tag}`);
        await page.locator('input[name=code]').fill(codeIn((await waitForMessage(server.url, address)).body));
        await page.locator('button.primary').first().click();
        await page.getByText(address).first().waitFor();
        await check(page, `account-email-done-${tag}`);
        expect((await waitForMessage(server.url, who.email)).body).toContain(address);
        expect((await server.api('GET', `/customers/${id}`)).body).toMatchObject({ email: address, email_verified: true });
        await context.close();
        await other.close();
      });
    }
  }
});
