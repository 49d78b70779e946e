import * as oidc from 'openid-client';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { inspectLayout, launchChromium } from '../support/chromium.ts';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const CUSTOMER = { email: 'passkey@example.se', password: 'my long sign-in phrase' };
const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;

describe.each(DIALECTS)('passkeys and sessions in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let shop: RelyingParty;
  let authenticatorId: string;

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect), launchChromium(), CallbackServer.start()]);
    const redirect = callbacks.uri('/shop');
    const created = await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [redirect], first_party: true });
    shop = await RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, redirect);
    await server.api('POST', '/customers', CUSTOMER);
    context = await browser.newContext({ locale: 'en-GB' });
    page = await context.newPage();
    // A real WebAuthn ceremony against Chromium's virtual platform authenticator (CDP), with
    // resident keys and user verification, answering without a human touch.
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    }));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
  });

  it('registers a passkey under /account/security after signing in, then signs in with it (amr hwk)', async () => {
    await page.goto(`${server.url}/account/security`);
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await page.getByLabel('E-mail address').fill(CUSTOMER.email);
    await page.getByLabel('Password').fill(CUSTOMER.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.url}/account/security`);
    expect(await page.locator('h1').textContent()).toBe('Sign-in and security');
    expect(await page.locator('[data-session]').count()).toBe(1);
    expect(await page.locator('[data-passkey-id]').count()).toBe(0);

    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(/done=passkey_added/);
    expect(await page.locator('[role=status]').textContent()).toBe('The passkey was added.');
    expect(await page.locator('[data-passkey-id]').count()).toBe(1);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}account-security.png`, fullPage: true });
    const layout = await inspectLayout(page);
    expect(layout.overlaps).toEqual([]);
    expect(layout.horizontalOverflow).toBe(false);

    // Conditional UI: the passkey is offered in the e-mail field's autofill; the virtual
    // authenticator picks it at once, so the sign-in completes without a click.
    await page.goto(await shop.authorizationUrl({ prompt: 'login' }));
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    let tokens = await shop.callback(page.url());
    expect(tokens.claims()).toMatchObject({ email: CUSTOMER.email, amr: ['hwk', 'mfa'], acr: 'urn:portvakt:acr:mfa' });

    // The button, deterministically: after a failed attempt the page offers no autofill request
    // (so none can win a race), and the button's own request is the only one.
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
    await page.goto(await shop.authorizationUrl({ prompt: 'login' }));
    await page.getByLabel('E-mail address').fill(CUSTOMER.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForSelector('[role=alert]:visible');
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    tokens = await shop.callback(page.url());
    expect(tokens.claims()).toMatchObject({ amr: ['hwk', 'mfa'] });
  });

  it('lists the sessions with device and last use, and signing one out kills its refresh tokens', async () => {
    const elsewhere = new CookieAgent();
    const other = await shop.callback(await elsewhere.authorize(await shop.authorizationUrl(), server.url, CUSTOMER));
    expect(other.refresh_token).toBeTruthy();

    await page.goto(`${server.url}/account/security`);
    const rows = page.locator('[data-session]');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().textContent()).toMatch(/Last used/);
    expect(await page.locator('[data-session]', { hasText: 'This device' }).textContent()).toContain('Chrome on Linux');
    await page.locator('[data-session]', { hasNotText: 'This device' }).getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/done=session_ended/);
    expect(await page.locator('[data-session]').count()).toBe(1);

    const refused = await shop.refresh(other.refresh_token!).then(() => undefined, (error: unknown) => error);
    expect((refused as oidc.ResponseBodyError).error).toBe('invalid_grant');
    // The browser that did it is still signed in.
    await page.reload();
    expect(await page.locator('h1').textContent()).toBe('Sign-in and security');
  });

  it('removes the passkey; the authenticator then has nothing this site accepts', async () => {
    await page.goto(`${server.url}/account/security`);
    await page.locator('[data-passkey-id]').getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL(/done=passkey_removed/);
    expect(await page.locator('[data-passkey-id]').count()).toBe(0);

    // The authenticator still holds the key; the server no longer accepts it, and says so.
    await page.goto(await shop.authorizationUrl({ prompt: 'login' }));
    await page.waitForSelector('[role=alert]:visible');
    expect(await page.locator('[role=alert]:visible').first().textContent()).toContain('The passkey could not be used');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('[role=alert]:visible').first().textContent()).toContain('The passkey could not be used');
    expect(page.url()).toMatch(/\/login\/[^/]+\/passkey$/);
  });

  it('offers a passkey right after a sign-up, and the new customer signs in with it next time', async () => {
    const fresh = await browser.newContext({ locale: 'en-GB' });
    const tab = await fresh.newPage();
    const session = await fresh.newCDPSession(tab);
    await session.send('WebAuthn.enable');
    await session.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await tab.goto(await shop.authorizationUrl());
    await tab.getByRole('link', { name: 'Create an account' }).click();
    await tab.getByLabel('E-mail address').fill('newcomer@example.se');
    await tab.getByRole('button', { name: 'Continue' }).click();
    const mail = await waitForMessage(server.url, 'newcomer@example.se');
    await tab.getByLabel('Code').fill(codeIn(mail.body));
    await tab.getByRole('button', { name: 'Continue' }).click();
    expect(await tab.locator('h1').textContent()).toBe('Sign in faster next time');
    if (dialect === 'sqlite') await tab.screenshot({ path: `${SHOTS}passkey-offer.png`, fullPage: true });
    await tab.getByRole('button', { name: 'Save a passkey' }).click();
    await tab.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    const first = await shop.callback(tab.url());
    expect(first.claims()).toMatchObject({ email: 'newcomer@example.se', amr: ['email'] });

    await tab.goto(await shop.authorizationUrl({ prompt: 'login' }));
    await tab.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    const next = await shop.callback(tab.url());
    expect(next.claims()).toMatchObject({ sub: first.claims()!.sub, amr: ['hwk', 'mfa'] });

    // A disabled account gets nowhere with its passkey either.
    expect((await server.api('PATCH', `/customers/${first.claims()!.sub}`, { status: 'disabled' })).status).toBe(200);
    await tab.goto(await shop.authorizationUrl({ prompt: 'login' }));
    await tab.waitForURL(/\/passkey$/);
    expect(await tab.locator('main').textContent()).toContain('This account is disabled');
    await fresh.close();
  });
});
