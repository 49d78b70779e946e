import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { expectGoodPage, inspectLayout, launchChromium } from '../support/chromium.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { ADMIN_KEY, startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, mobile: { width: 375, height: 740 } } as const;
const CUSTOMER = { email: 'layout@example.se', password: 'layouts are fun to test' };

describe('hosted page layout in Chromium', () => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let firstParty: RelyingParty;
  let thirdParty: RelyingParty;

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt('sqlite'), launchChromium(), CallbackServer.start()]);
    const register = async (first_party: boolean) => {
      const created = await server.api('POST', '/clients', { client_name: first_party ? 'Webbshop' : 'Partner med ett mycket långt namn AB', redirect_uris: [callbacks.uri('/cb')], first_party });
      return RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, callbacks.uri('/cb'));
    };
    [firstParty, thirdParty] = await Promise.all([register(true), register(false)]);
    await server.api('POST', '/customers', CUSTOMER);
    // The data map the privacy pages show: one system under a bookkeeping hold, one without.
    await server.api('POST', '/systems', { key: 'support', name: 'Kundtjänst (support desk)', categories: ['support_conversations', 'contact'], legal_basis: 'legitimate_interests', access: 'manual', checklist: ['Delete the tickets'], identified_by: ['email'] });
    await server.api('POST', '/systems', {
      key: 'accounting',
      name: 'Ekonomisystem (accounting)',
      categories: ['purchase_history', 'payment'],
      legal_basis: 'legal_obligation',
      access: 'manual',
      checklist: ['Pseudonymize the customer ledger entry'],
      identified_by: ['email'],
      retention: { rule: 'bookkeeping', description: 'Bokföringslagen 7 kap. 2 §: 7 years after the fiscal year ends', years: 7 },
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
  });

  const check = (page: Page, name: string) => expectGoodPage(page, name, { screenshot: `${SHOTS}${name}.png` });

  for (const [viewportName, viewport] of Object.entries(VIEWPORTS)) {
    for (const locale of ['en-GB', 'sv-SE']) {
      it(`sign-in, sign-up, errors, consent and logout fit on ${viewportName} in ${locale}`, async () => {
        const context = await browser.newContext({ viewport, locale });
        const page = await context.newPage();
        const tag = `${viewportName}-${locale}`;

        await page.goto(await firstParty.authorizationUrl());
        await check(page, `sign-in-${tag}`);
        await page.locator('input[name=email]').fill(CUSTOMER.email);
        await page.locator('input[name=password]').fill('not the password');
        await page.locator('button.primary').click();
        await page.waitForSelector('[role=alert]');
        await check(page, `sign-in-error-${tag}`);

        await page.locator('a[href$="/signup"]').click();
        await check(page, `sign-up-${tag}`);
        await page.locator('input[name=email]').fill(CUSTOMER.email);
        await page.locator('input[name=password]').fill('password');
        await page.locator('button.primary').click();
        await page.waitForSelector('[role=alert]');
        await check(page, `sign-up-error-${tag}`);

        await page.goto(await thirdParty.authorizationUrl());
        await page.locator('input[name=email]').fill(CUSTOMER.email);
        await page.locator('input[name=password]').fill(CUSTOMER.password);
        await page.locator('button.primary').click();
        await page.waitForSelector('ul.scopes');
        await check(page, `consent-${tag}`);

        await page.goto(`${server.url}/session/end`);
        await check(page, `logout-${tag}`);
        await page.goto(`${server.url}/device`);
        await check(page, `device-code-${tag}`);
        await page.locator('input[name=user_code]').fill('BCDF-GHJK');
        await page.locator('button.primary').click();
        await page.waitForSelector('[role=alert]');
        await check(page, `device-code-error-${tag}`);
        await page.goto(`${server.url}/login/no-such-interaction`);
        expect(await page.locator('h1').count()).toBe(1);
        await page.screenshot({ path: `${SHOTS}error-${tag}.png` });
        await context.close();
      });
    }
  }

  for (const [viewportName, viewport] of Object.entries(VIEWPORTS)) {
    for (const locale of ['en-GB', 'sv-SE']) {
      it(`code entry, recovery, SMS, second factor, passkey offer and account pages fit on ${viewportName} in ${locale}`, async () => {
        const context = await browser.newContext({ viewport, locale });
        const page = await context.newPage();
        const tag = `${viewportName}-${locale}`;
        const email = `layout-${tag.toLowerCase()}@example.se`;

        await page.goto(await firstParty.authorizationUrl());
        await page.locator('a[href$="/forgot"]').click();
        await check(page, `forgot-${tag}`);
        await page.locator('input[name=email]').fill(CUSTOMER.email);
        await page.locator('button.primary').click();
        await page.waitForSelector('input[name=code]');
        await check(page, `forgot-code-${tag}`);

        await page.goto(await firstParty.authorizationUrl());
        await page.locator('a[href$="/sms"]').click();
        await check(page, `sms-${tag}`);

        await page.goto(await firstParty.authorizationUrl());
        await page.locator('a[href$="/signup"]').click();
        await page.locator('input[name=email]').fill(email);
        await page.locator('button.primary').click();
        await page.waitForSelector('input[name=code]');
        await check(page, `code-entry-${tag}`);
        await page.locator('input[name=code]').fill('12345');
        await page.locator('button.primary').click();
        await page.waitForSelector('[role=alert]:visible');
        await check(page, `code-entry-error-${tag}`);
        await page.locator('input[name=code]').fill(codeIn((await waitForMessage(server.url, email)).body));
        await page.locator('button.primary').click();
        await page.waitForSelector('form[data-passkey-autoskip]');
        await check(page, `passkey-offer-${tag}`);
        await page.locator('form[data-passkey-autoskip] button').click();
        await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/cb')));

        await page.goto(`${server.url}/account/security`);
        await check(page, `account-${tag}`);
        await page.goto(`${server.url}/account/privacy`);
        await page.waitForSelector('ul.systems');
        await check(page, `account-privacy-${tag}`);
        // The account's own pages (profile, password, address, my data) have their walk in account-profile.test.ts, with axe.
        // Customer service asks "is this you?": the prompt with its two answers.
        const signedUp = (await server.api('GET', `/customers?email=${encodeURIComponent(email)}`)).body.customers[0];
        expect((await server.api('POST', `/customers/${signedUp.id}/verifications`, { channel: 'portal', agent_id: 'layout' })).status).toBe(201);
        await page.goto(`${server.url}/account/verifications`);
        await page.waitForSelector('li.verification');
        await check(page, `account-verifications-${tag}`);
        await page.goto(`${server.url}/account/security`);
        await page.locator('a.button.primary').click();
        await page.waitForSelector('.qr svg');
        await check(page, `totp-enrol-${tag}`);

        await page.goto(await firstParty.authorizationUrl({ acr_values: 'urn:portvakt:acr:mfa', prompt: 'login' }));
        await page.locator('input[name=email]').fill(CUSTOMER.email);
        await page.locator('input[name=password]').fill(CUSTOMER.password);
        await page.locator('button.primary').click();
        await page.waitForSelector('.qr svg');
        await check(page, `mfa-enrol-in-sign-in-${tag}`);
        await context.close();
      });
    }
  }

  it('the privacy report reads without overlap or sideways scrolling on both viewports', async () => {
    const id = (await server.api('POST', '/customers', { email: 'reported@example.se' })).body.id;
    const created = (await server.api('POST', '/privacy-requests', { customer_id: id, kind: 'erasure', verification: 'ID checked at the service desk' })).body;
    for (const task of created.tasks.filter((entry: { state: string }) => entry.state === 'waiting_operator')) {
      const retained = task.system === 'accounting' ? [{ category: 'payment', reason: 'Bokföringslagen: receipts of purchases', until: '2034-01-01' }] : [];
      await server.api('POST', `/privacy-requests/${created.id}/tasks/${task.id}/confirm`, { confirmed_by: 'Agent Anna Andersson-Lindqvist', deleted: task.system === 'support' ? ['support_conversations'] : [], retained, note: 'Checked every archive by hand' });
    }
    for (let i = 0; i < 100 && (await server.api('GET', `/privacy-requests/${created.id}`)).body.state === 'in_progress'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const [viewportName, viewport] of Object.entries(VIEWPORTS)) {
      const context = await browser.newContext({ viewport, extraHTTPHeaders: { authorization: `Bearer ${ADMIN_KEY}` } });
      const page = await context.newPage();
      const response = await page.goto(`${server.url}/api/v1/privacy-requests/${created.id}/report.html`);
      expect(response?.status()).toBe(200);
      expect(await page.locator('[data-state]').first().getAttribute('data-state')).toBe('completed_with_exceptions');
      expect(await page.locator('tr[data-system]').count()).toBe(3);
      await page.screenshot({ path: `${SHOTS}privacy-report-${viewportName}.png`, fullPage: true });
      const layout = await inspectLayout(page);
      expect(layout.overlaps).toEqual([]);
      expect(layout.horizontalOverflow).toBe(false);
      await context.close();
    }
  });

  it('the layout check catches overlapping fields and a hidden primary button', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(await firstParty.authorizationUrl());
    await page.addStyleTag({ content: 'input { position: absolute; top: 40px; left: 20px; } button.primary { visibility: hidden; }' });
    const report = await inspectLayout(page);
    expect(report.overlaps.length).toBeGreaterThan(0);
    await page.addStyleTag({ content: 'button.primary { visibility: visible; opacity: 0; }' });
    expect((await inspectLayout(page)).primaryButton?.visible).toBe(false);
    await context.close();
  });
});
