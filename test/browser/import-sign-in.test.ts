import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { launchChromium } from '../support/chromium.ts';
import { DIALECTS } from '../support/databases.ts';
import { FIREBASE_VECTOR, sampleHashes } from '../support/hash-samples.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const PASSWORD = 'Flyttdag i maj 2026!';

/** Moving in, as a customer sees it: one imported customer per hash format signs in in Chromium with the password they had, and is re-hashed. */
describe.each(DIALECTS)('imported customers in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let shop: RelyingParty;
  const customers: Array<{ email: string; password: string; format: string }> = [];

  beforeAll(async () => {
    [server, browser, callbacks] = await Promise.all([startPortvakt(dialect, { RATE_LIMIT_IP_PER_MINUTE: '0' }), launchChromium(), CallbackServer.start()]);
    const created = (await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [callbacks.uri('/cb')], first_party: true })).body;
    shop = await RelyingParty.discover(server.url, created.client_id, created.client_secret, callbacks.uri('/cb'));
    const lines: string[] = [];
    for (const [format, hash] of await sampleHashes(PASSWORD)) {
      customers.push({ email: `${format}@example.se`, password: PASSWORD, format });
      lines.push(JSON.stringify({ email: `${format}@example.se`, email_verified: true, given_name: 'Flyttad', password_hash: hash }));
    }
    const { password, ...firebase } = FIREBASE_VECTOR;
    customers.push({ email: 'firebase-scrypt@example.se', password, format: 'firebase-scrypt' });
    lines.push(JSON.stringify({ email: 'firebase-scrypt@example.se', password_hash: firebase }));
    const file = join(mkdtempSync(join(tmpdir(), 'portvakt-import-')), 'samples.ndjson');
    writeFileSync(file, lines.join('\n'));
    const run = spawnSync(join(ROOT, 'bin/portvakt'), ['import', file, '--platform', 'shop', '--allow-weak-hashes'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: server.database.url, PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await server?.stop();
  });

  it('signs in one customer per format with their old password; a wrong one is refused; afterwards the hash is argon2id', async () => {
    expect(customers.map((customer) => customer.format).sort()).toHaveLength(13);
    for (const customer of customers) {
      const context = await browser.newContext({ locale: 'en-GB' });
      const page = await context.newPage();
      await page.goto(await shop.authorizationUrl());
      await page.locator('input[name=email]').fill(customer.email);
      await page.locator('input[name=password]').fill(`${customer.password}?`);
      await page.locator('button.primary').click();
      expect(await page.getByRole('alert').first().textContent(), customer.format).toContain('Wrong e-mail address or password');
      await page.locator('input[name=email]').fill(customer.email);
      await page.locator('input[name=password]').fill(customer.password);
      await page.locator('button.primary').click();
      await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/cb')));
      expect((await shop.callback(page.url())).claims()?.email, customer.format).toBe(customer.email);
      await context.close();
      const stored = (await sql<{ secret: string }>`select c.secret from credentials c join customer_emails e on e.customer_id = c.customer_id where e.email = ${customer.email} and c.type = 'password'`.execute(server.portvakt.store.db)).rows[0]!.secret;
      expect(stored, customer.format).toMatch(/^\$argon2id\$/);
    }
  }, 300_000);
});
