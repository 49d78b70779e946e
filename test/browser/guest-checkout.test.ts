import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { inspectLayout, launchChromium } from '../support/chromium.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SmtpCatcher } from '../support/smtp-catcher.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const TEXTS = { sv: { title: 'Nyhetsbrev', description: 'Erbjudanden', legal_text: 'L' }, en: { title: 'Newsletter', description: 'Offers', legal_text: 'L' } };

/**
 * Guest checkout → account: a shop records a guest with two order references and a consent given
 * at checkout; the person claims it in Chromium with a code from a real SMTP server. A new address
 * becomes an account with the guest's data; an address with an account gets the guest merged into
 * it after the code proves it, and no second account exists.
 */
describe.each(DIALECTS)('guest checkout in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let smtp: SmtpCatcher;
  let shop: RelyingParty;
  let shopId: string;

  beforeAll(async () => {
    smtp = await SmtpCatcher.start();
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect, { SMTP_URL: smtp.url }), launchChromium(), CallbackServer.start()]);
    const created = await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [callbacks.uri('/shop')], first_party: true });
    shopId = created.body.client_id;
    shop = await RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, callbacks.uri('/shop'));
    expect((await server.api('POST', '/consent-purposes', { key: 'newsletter', texts: TEXTS })).status).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
    await smtp?.close();
  });

  const guestFor = async (email: string) => {
    const created = await server.api('POST', '/guests', { email, given_name: 'Greta', family_name: 'Gäst', order_references: ['WEB-1001', 'WEB-1002'], consents: [{ purpose: 'newsletter', version: 1, decision: 'granted' }], client_id: shopId });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; claim_token: string };
  };

  /** From the shop's claim link (prompt=create, guest, login_hint) through the code to the shop. */
  async function claimInBrowser(email: string, token: string, name: string) {
    const mailsBefore = smtp.mails.filter((mail) => mail.to.includes(email)).length;
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    await page.goto(await shop.authorizationUrl({ prompt: 'create', guest: token, login_hint: email }));
    expect(await page.locator('h1').textContent()).toBe('Create your account');
    expect(await page.getByLabel('E-mail address').inputValue()).toBe(email);
    expect(await page.getByLabel('First name').inputValue()).toBe('Greta');
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}guest-claim-${name}-mobile.png`, fullPage: true });
    const layout = await inspectLayout(page);
    expect(layout.overlaps).toEqual([]);
    expect(layout.primaryButton).toMatchObject({ visible: true, insideViewport: true });
    await page.getByRole('button', { name: 'Continue' }).click();
    // An account made through the API was sent a verification e-mail first: the code is in the next one.
    const mail = await smtp.waitFor(email, mailsBefore + 1);
    await page.getByLabel('Code').fill(codeIn(mail.text));
    await page.getByRole('button', { name: 'Continue' }).click();
    // A new account is offered a passkey; an existing one is asked the purposes it never decided
    // (the guest's checkout choices are not taken as the account holder's).
    for (let step = 0; step < 3 && !page.url().startsWith(callbacks.uri('/shop')); step++) {
      const heading = await page.locator('h1').textContent();
      if (heading === 'Sign in faster next time') await page.getByRole('button', { name: 'Not now' }).click();
      else if (heading === 'Before you continue') {
        await page.getByLabel('Newsletter').check();
        await page.locator('button.primary').click();
      } else break;
      await page.waitForLoadState();
    }
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    const tokens = await shop.callback(page.url());
    await context.close();
    return tokens.claims()!;
  }

  const accountOf = async (sub: string) => ({
    customers: (await server.api('GET', `/customers?email=${encodeURIComponent(((await server.api('GET', `/customers/${sub}`)).body as { email: string }).email)}`)).body.customers,
    orders: (await server.api('GET', `/customers/${sub}/orders`)).body.orders.map((order: { reference: string }) => order.reference),
    consents: (await server.api('GET', `/customers/${sub}/consents`)).body,
  });

  it('turns a guest into an account with a code: the orders and the checkout consent come along', async () => {
    const guest = await guestFor('greta@example.se');
    const claims = await claimInBrowser('greta@example.se', guest.claim_token, 'new');
    expect(claims).toMatchObject({ email: 'greta@example.se', email_verified: true });
    const account = await accountOf(claims.sub);
    expect(account.orders).toEqual(['WEB-1001', 'WEB-1002']);
    expect(JSON.stringify(account.consents)).toMatch(/"purpose":"newsletter"[^}]*"state":"granted"/);
    expect((await server.api('GET', `/customers/${claims.sub}`)).body).toMatchObject({ given_name: 'Greta', family_name: 'Gäst' });
    expect((await server.api('GET', `/guests/${guest.id}`)).body).toMatchObject({ status: 'claimed', claimed_by: claims.sub });
  });

  it('merges a guest into the account its address already has, after the code proves it; no second account', async () => {
    const existing = (await server.api('POST', '/customers', { email: 'olle@example.se', password: 'olles own passphrase', given_name: 'Olle' })).body;
    const guest = await guestFor('olle@example.se');
    const claims = await claimInBrowser('olle@example.se', guest.claim_token, 'existing');
    expect(claims.sub).toBe(existing.id);
    const account = await accountOf(existing.id);
    expect(account.customers).toHaveLength(1);
    expect(account.orders).toEqual(['WEB-1001', 'WEB-1002']);
    expect(JSON.stringify(account.consents)).toMatch(/"purpose":"newsletter"[^}]*"state":"granted"/);
    // The account's own name stays; the guest only fills what is missing.
    expect((await server.api('GET', `/customers/${existing.id}`)).body).toMatchObject({ given_name: 'Olle', family_name: 'Gäst' });
    expect((await server.api('GET', `/guests/${guest.id}`)).body.status).toBe('claimed');
  });
});
