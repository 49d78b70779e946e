import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { launchChromium } from '../support/chromium.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SmtpCatcher } from '../support/smtp-catcher.ts';

describe.each(DIALECTS)('in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let smtp: SmtpCatcher;

  async function relyingParty(name: string, path: string): Promise<RelyingParty> {
    const redirect = callbacks.uri(path);
    const created = await server.api('POST', '/clients', { client_name: name, redirect_uris: [redirect], first_party: true });
    return RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, redirect);
  }

  async function idTokenOf(rp: RelyingParty, page: Page): Promise<{ payload: JWTPayload; tokens: Awaited<ReturnType<RelyingParty['callback']>> }> {
    const tokens = await rp.callback(page.url());
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(rp.jwksUri)), {
      issuer: server.url,
      audience: rp.config.clientMetadata().client_id,
    });
    return { payload, tokens };
  }

  beforeAll(async () => {
    smtp = await SmtpCatcher.start();
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect, { SMTP_URL: smtp.url }), launchChromium(), CallbackServer.start()]);
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
    await smtp?.close();
  });

  it('registers with the code from a real SMTP server (e-mail verified in the ID token), then signs a second app in without a form', async () => {
    const shop = await relyingParty('Webbshop', '/shop/callback');
    const app = await relyingParty('Kundportal', '/portal/callback');
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });

    await page.goto(await shop.authorizationUrl());
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('E-mail address').fill('maja.lind@example.se');
    expect(await page.getByLabel('Choose a password').getAttribute('autocomplete')).toBe('new-password');
    await page.getByLabel('Choose a password').fill('a garden full of tulips');
    await page.getByLabel('First name').fill('Maja');
    await page.getByLabel('Last name').fill('Lind');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.locator('h1').textContent()).toBe('Check your e-mail');

    const mail = await smtp.waitFor('maja.lind@example.se');
    expect(mail.text).toContain('Subject: Your code to create your Portvakt account');
    expect(await page.getByLabel('Code').getAttribute('autocomplete')).toBe('one-time-code');
    await page.getByLabel('Code').fill(codeIn(mail.text));
    await page.getByRole('button', { name: 'Continue' }).click();
    // A new account is offered a passkey for next time; this customer declines.
    expect(await page.locator('h1').textContent()).toBe('Sign in faster next time');
    await page.getByRole('button', { name: 'Not now' }).click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop/callback')));

    const { payload, tokens } = await idTokenOf(shop, page);
    expect(payload).toMatchObject({ email: 'maja.lind@example.se', email_verified: true, amr: ['email'] });
    const userinfo = await shop.userinfo(tokens.access_token, String(payload.sub));
    expect(userinfo).toMatchObject({ email: 'maja.lind@example.se', email_verified: true, given_name: 'Maja', family_name: 'Lind', locale: 'en' });
    expect(tokens.refresh_token).toBeTruthy();
    // The password chosen at sign-up works from now on.
    expect((await server.api('GET', `/customers/${payload.sub}`)).body.has_password).toBe(true);

    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.goto(await app.authorizationUrl());
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/portal/callback')));
    expect(visited.filter((url) => url.startsWith(`${server.url}/login/`))).toEqual([]);
    const second = await app.callback(page.url());
    expect(second.claims()!.sub).toBe(payload.sub);
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('registers late in a checkout with nothing but an e-mail address and the code (no password)', async () => {
    const shop = await relyingParty('Webbshop', '/checkout/callback');
    const context = await browser.newContext({ locale: 'sv-SE' });
    const page = await context.newPage();
    await page.goto(await shop.authorizationUrl());
    await page.getByRole('link', { name: 'Skapa konto' }).click();
    await page.getByLabel('E-postadress').fill('kassa@example.se');
    await page.getByRole('button', { name: 'Fortsätt' }).click();
    expect(await page.locator('h1').textContent()).toBe('Kolla din e-post');
    const mail = await smtp.waitFor('kassa@example.se');
    await page.getByLabel('Kod').fill(codeIn(mail.text));
    await page.getByRole('button', { name: 'Fortsätt' }).click();
    await page.getByRole('button', { name: 'Inte nu' }).click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/checkout/callback')));
    const { payload } = await idTokenOf(shop, page);
    expect(payload).toMatchObject({ email: 'kassa@example.se', email_verified: true, amr: ['email'], acr: 'urn:portvakt:acr:1fa' });
    const customer = (await server.api('GET', `/customers/${payload.sub}`)).body;
    expect(customer).toMatchObject({ has_password: false, email_verified: true, locale: 'sv' });
    await context.close();
  });

  it('shows the pages in Swedish from Accept-Language, and in English when ui_locales asks', async () => {
    const shop = await relyingParty('Webbshop', '/sv/callback');
    const context = await browser.newContext({ locale: 'sv-SE' });
    const page = await context.newPage();
    await page.goto(await shop.authorizationUrl());
    expect(await page.getAttribute('html', 'lang')).toBe('sv');
    expect(await page.locator('h1').textContent()).toBe('Logga in');
    await page.getByLabel('E-postadress').fill('nobody@example.se');
    await page.getByLabel('Lösenord').fill('wrong password here');
    await page.getByRole('button', { name: 'Logga in', exact: true }).click();
    expect(await page.locator('[role=alert]:visible').textContent()).toBe('Fel e-postadress eller lösenord.');
    expect(await page.getByLabel('E-postadress').inputValue()).toBe('nobody@example.se');

    await page.goto(await shop.authorizationUrl({ ui_locales: 'en' }));
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await context.close();
  });
});
