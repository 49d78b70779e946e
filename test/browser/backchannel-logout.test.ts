import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { launchChromium } from '../support/chromium.ts';
import { DIALECTS } from '../support/databases.ts';
import { LogoutReceiver, validateLogoutToken } from '../support/logout-receiver.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const CUSTOMER = { email: 'elsa.back@example.se', password: 'a passphrase for the browser' };

describe.each(DIALECTS)('back-channel logout in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  const receivers: LogoutReceiver[] = [];

  async function channel(name: string, path: string) {
    const receiver = await LogoutReceiver.start();
    receivers.push(receiver);
    const redirect = callbacks.uri(path);
    const created = await server.api('POST', '/clients', {
      client_name: name,
      redirect_uris: [redirect],
      first_party: true,
      backchannel_logout_uri: receiver.uri,
      backchannel_logout_session_required: true,
    });
    expect(created.status).toBe(201);
    const rp = await RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, redirect);
    return { rp, clientId: created.body.client_id as string, receiver, redirect };
  }

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect, { OUTBOX_RETRY_BASE_MS: '500', OUTBOX_RETRY_MAX_MS: '2000' }), launchChromium(), CallbackServer.start()]);
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    for (const receiver of receivers) await receiver.close();
    await server?.stop();
  });

  it('signs in at two clients, signs out at one, and both get a logout token with their sid; the sign-out page does not wait', async () => {
    const shop = await channel('Webbshop', '/shop/callback');
    const portal = await channel('Kundportal', '/portal/callback');
    const id = (await server.api('POST', '/customers', CUSTOMER)).body.id as string;
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();

    await page.goto(await shop.rp.authorizationUrl());
    await page.getByLabel('E-mail address').fill(CUSTOMER.email);
    await page.getByLabel('Password').fill(CUSTOMER.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.toString().startsWith(shop.redirect));
    const shopTokens = await shop.rp.callback(page.url());

    await page.goto(await portal.rp.authorizationUrl());
    await page.waitForURL((url) => url.toString().startsWith(portal.redirect));
    const portalTokens = await portal.rp.callback(page.url());
    expect(portalTokens.claims()!.sub).toBe(id);

    // The shop's receiver hangs: the customer's sign-out must not wait for it.
    await shop.receiver.set('hang');
    const logout = new URL(`${server.url}/session/end`);
    logout.searchParams.set('id_token_hint', portalTokens.id_token!);
    await page.goto(logout.toString());
    expect(await page.locator('h1').textContent()).toBe('Sign out?');
    const started = Date.now();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('h1', { hasText: 'Signed out' }).waitFor();
    expect(Date.now() - started).toBeLessThan(2000);
    await context.close();

    const [portalToken] = await portal.receiver.waitFor(id);
    await validateLogoutToken(portalToken!, { issuer: server.url, jwksUri: portal.rp.jwksUri, clientId: portal.clientId, sid: String(portalTokens.claims()!.sid) });
    await shop.receiver.set('up');
    const [shopToken] = await shop.receiver.waitFor(id);
    const payload = await validateLogoutToken(shopToken!, { issuer: server.url, jwksUri: shop.rp.jwksUri, clientId: shop.clientId, sid: String(shopTokens.claims()!.sid) });
    expect(payload.sub).toBe(id);
    expect(shopTokens.claims()!.sid).not.toBe(portalTokens.claims()!.sid);
  });
});
