import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { consoleOperator, signInWithCode, type ConsoleOperator } from '../support/console-operator.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { UpstreamIdp } from '../support/upstream-idp.ts';

const SECRET = 'upstream-client-secret-0123456789';

/**
 * "Test this connection" in Chromium: the administrator adds a connection (off), presses the test
 * button, signs in at the provider (another site: 127.0.0.1 beside Portvakt's localhost), and the
 * browser comes back to the console's result page on its own, with the console's SameSite=Strict
 * session that the provider's redirect could not carry.
 */
describe('testing a sign-in connection in Chromium', () => {
  let server: RunningPortvakt;
  let browser: Browser;
  let upstream: UpstreamIdp;
  let admin: ConsoleOperator;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startPortvakt('sqlite'), launchChromium()]);
    upstream = await UpstreamIdp.start([`${server.url}/login/upstream/callback/partner`], SECRET);
    admin = await consoleOperator(server, { email: 'admin@example.se', name: 'Anna Admin', roles: ['admin'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await upstream?.close();
  });

  it('adds a connection, signs in at the provider to test it, and lands on the result without signing anyone in', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await signInWithCode(page, server.url, admin);
    await page.goto(`${server.url}/console/settings`);
    await page.getByRole('link', { name: 'Sign-in connections' }).click();
    await page.getByRole('link', { name: 'Add a connection' }).click();
    await page.getByRole('link', { name: 'Other OpenID provider' }).click();
    await page.locator('#field-key').fill('partner');
    await page.locator('#field-name').fill('Partner ID');
    await page.locator('#field-issuer').fill(upstream.issuer);
    await page.locator('#field-client_id').fill('portvakt');
    await page.locator('#field-client_secret').fill(SECRET);
    await page.locator('form button.primary').click();
    await page.waitForURL(`${server.url}/console/connections/partner?done=created`);
    expect(await page.locator('#redirect-uri').textContent()).toBe(`${server.url}/login/upstream/callback/partner`);

    upstream.signedInAs = { sub: 'upstream-anna', email: 'anna@example.se', email_verified: true, given_name: 'Anna' };
    // The person acts at the provider (a button on its page), so the way back is a navigation that
    // another site started, as with a real provider's sign-in form.
    upstream.askToContinue = true;
    await page.getByRole('button', { name: 'Sign in at Partner ID to test' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/console\/connections\/partner\/tests\/[A-Za-z0-9_-]{22}$/);
    expect(await page.locator('main').textContent()).toContain('The connection works');
    expect(await page.locator('main').textContent()).toContain('anna@example.se (verified by the provider)');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await server.portvakt.store.db.selectFrom('customers').select('id').execute()).toEqual([]);
    expect(await server.portvakt.store.db.selectFrom('identities').select('subject').execute()).toEqual([]);
    await context.close();
  }, 60_000);
});
