import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { consoleOperator, signInWithCode } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const CUSTOMER = { email: 'ringer@example.se', password: 'the customer on the phone', given_name: 'Rut', family_name: 'Ringström', phone_number: '+46705556677' };

describe.each(DIALECTS)('console in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startPortvakt(dialect), launchChromium()]);
    context = await browser.newContext({ locale: 'en-GB' });
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('makes the first admin: the CLI prints an invitation link, a passkey is set up there, and it opens the console', async () => {
    const cli = spawnSync(process.execPath, ['src/cli.ts', 'operators', 'create', '--email', 'first.admin@example.se', '--name', 'Frida Först', '--role', 'admin'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: server.database.url, PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789', ISSUER: server.url, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    expect(cli.status, cli.stderr).toBe(0);
    const link = (JSON.parse(cli.stdout) as { invitation_url: string }).invitation_url;
    // Not enrolled yet: no second factor, no console.
    await page.goto(`${server.url}/console`);
    expect(page.url()).toBe(`${server.url}/console/sign-in?return=%2Fconsole`);

    await page.goto(link);
    expect(await page.locator('h1').textContent()).toBe('Welcome, Frida Först');
    await page.getByRole('button', { name: 'Set up a passkey' }).click();
    await page.waitForURL(`${server.url}/console`);
    expect(await page.locator('h1').textContent()).toBe('Overview');
    expect(await page.locator('nav').getByRole('link', { name: 'Operators' }).count()).toBe(1);

    // Signed out, the passkey alone signs in again (it is two factors: the device and its PIN or biometric).
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in\?signed_out=1/);
    // The passkey is offered in the e-mail field's autofill (conditional UI); the virtual
    // authenticator picks it at once, so the sign-in completes without a click.
    await page.goto(`${server.url}/console/sign-in?return=%2Fconsole%2Foperators`);
    await page.waitForURL(`${server.url}/console/operators`);
    expect(await page.locator('h1').textContent()).toBe('Operators');
    // The invitation is spent.
    await page.goto(link);
    expect(await page.locator('[role=alert]').textContent()).toContain('expired or was already used');
  });

  it('identifies a caller: the agent starts a portal approval, the customer approves in /account, the agent sees it turn verified without a reload', async () => {
    const customerId = (await server.api('POST', '/customers', CUSTOMER)).body.id;
    const agent = await consoleOperator(server, { email: 'sven@example.se', name: 'Sven Kundtjänst', roles: ['agent'] });
    const agentContext = await browser.newContext({ locale: 'en-GB' });
    const customerContext = await browser.newContext({ locale: 'en-GB' });
    try {
      const agentPage = await agentContext.newPage();
      await signInWithCode(agentPage, server.url, agent);
      await agentPage.locator('nav').getByRole('link', { name: 'Customers' }).click();
      await agentPage.getByLabel('Search by').selectOption('phone');
      await agentPage.getByLabel('Search', { exact: true }).fill(CUSTOMER.phone_number);
      await agentPage.getByRole('button', { name: 'Search' }).click();
      await agentPage.getByRole('link', { name: 'Rut Ringström' }).click();
      await agentPage.waitForURL(`${server.url}/console/customers/${customerId}`);
      await agentPage.screenshot({ path: `${SHOTS}console-customer-view-${dialect}.png`, fullPage: true });
      await agentPage.getByRole('button', { name: 'Approval in their account' }).click();
      await agentPage.waitForURL(/\/console\/verifications\//);
      const status = agentPage.locator('#verification-status');
      expect(await status.textContent()).toBe('Waiting for the caller…');
      const loadedAt = await agentPage.evaluate(() => performance.timeOrigin);

      const customerPage = await customerContext.newPage();
      await customerPage.goto(`${server.url}/account/verifications`);
      await customerPage.getByLabel('E-mail address').fill(CUSTOMER.email);
      await customerPage.getByLabel('Password').fill(CUSTOMER.password);
      await customerPage.getByRole('button', { name: 'Sign in', exact: true }).click();
      await customerPage.waitForURL(`${server.url}/account/verifications`);
      await customerPage.getByRole('button', { name: 'Yes, it is me' }).click();
      await customerPage.waitForURL(/done=approve/);

      await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('Verified: the caller is this customer.');
      expect(await agentPage.evaluate(() => performance.timeOrigin)).toBe(loadedAt);

      // The customer's timeline names the operator who asked.
      await agentPage.goto(`${server.url}/console/customers/${customerId}`);
      const started = agentPage.locator('tr', { hasText: 'Caller identification started' });
      expect(await started.locator('td').nth(2).textContent()).toBe('Sven Kundtjänst');
      expect(await agentPage.locator('tr', { hasText: 'Caller verified' }).count()).toBe(1);
    } finally {
      await agentContext.close();
      await customerContext.close();
    }
  });
});
