import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatorCode } from '../support/authenticator-app.ts';
import { axeViolations, inspectLayout, launchChromium } from '../support/chromium.ts';
import { consoleOperator, OPERATOR_PASSWORD, type ConsoleOperator } from '../support/console-operator.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { SystemDouble } from '../support/system-double.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const CHECKLIST = ['Find the tickets by the customer number', 'Delete the tickets and their attachments'];

/**
 * The privacy officer's acceptance flow in Chromium: sign in with password and authenticator
 * code, file an erasure from the customer view (a sensitive operation: the sign-in is fresh),
 * follow it from the queue while an API system answers at once and a callback system confirms
 * later (both real HTTP servers on 127.0.0.1), tick a manual system's checklist, and read the
 * evidence report; the data map lists every system with its customer count.
 */
describe('the privacy officer in the console (Chromium)', () => {
  let server: RunningPortvakt;
  let browser: Browser;
  /** The officer's browser: signed in once, in the first test, and used by the next. */
  let context: BrowserContext;
  let crm: SystemDouble;
  let newsletter: SystemDouble;
  let officer: ConsoleOperator;
  let customerId: string;

  beforeAll(async () => {
    [server, browser, crm, newsletter] = await Promise.all([
      startPortvakt('sqlite', { OUTBOX_POLL_MS: '100', PRIVACY_RETRY_BASE_MS: '100', PRIVACY_RETRY_MAX_MS: '400' }),
      launchChromium(),
      SystemDouble.start({ kind: 'api' }),
      SystemDouble.start({ kind: 'callback', delayMs: 700 }),
    ]);
    crm.secret = (await server.api('POST', '/systems', { key: 'crm', name: 'CRM', categories: ['contact', 'purchase_history'], legal_basis: 'contract', access: 'api', endpoint: crm.endpoint })).body.secret;
    newsletter.secret = (await server.api('POST', '/systems', { key: 'newsletter', name: 'E-mail list', categories: ['contact', 'behaviour'], legal_basis: 'consent', access: 'callback', endpoint: newsletter.endpoint })).body.secret;
    expect((await server.api('POST', '/systems', { key: 'support', name: 'Support desk', categories: ['support_conversations'], legal_basis: 'legitimate_interests', access: 'manual', checklist: CHECKLIST, identified_by: ['email'] })).status).toBe(201);
    customerId = (await server.api('POST', '/customers', { email: 'glom-mig@example.se', given_name: 'Greta', family_name: 'Glömsk' })).body.id;
    for (const [system, reference] of [['crm', 'CRM-77'], ['newsletter', 'NL-77']]) expect((await server.api('PUT', `/customers/${customerId}/references/${system}`, { reference })).status).toBe(200);
    // Someone who stays: the counts on the data map outlive the erasure.
    const stays = (await server.api('POST', '/customers', { email: 'stannar@example.se' })).body.id;
    expect((await server.api('PUT', `/customers/${stays}/references/crm`, { reference: 'CRM-78' })).status).toBe(200);
    // Consent figures to read: one purpose, decisions given by phone.
    const texts = { title: 'Erbjudanden', description: 'Erbjudanden via e-post.', legal_text: 'Tills du återkallar.' };
    expect((await server.api('POST', '/consent-purposes', { key: 'offers', texts: { sv: texts, en: { ...texts, title: 'Offers' } } })).status).toBe(201);
    expect((await server.api('POST', `/customers/${stays}/consents`, { purpose: 'offers', version: 1, decision: 'granted', channel: 'phone', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
    officer = await consoleOperator(server, { email: 'dpo@example.se', name: 'Petra Privacy', roles: ['privacy_officer'] });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await Promise.all([server?.stop(), crm?.close(), newsletter?.close()]);
  });

  /** Reloads `path` until `ready` holds (bounded: the worker and the callback take a moment). */
  async function reloadUntil(page: Page, path: string, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await page.goto(`${server.url}${path}`);
      if (await ready()) return;
      if (Date.now() > deadline) throw new Error(`${path} never got ready: ${(await page.locator('main').innerText()).slice(0, 2000)}`);
      await page.waitForTimeout(250);
    }
  }

  async function accessible(page: Page, name: string): Promise<void> {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}console-privacy-${name.replace(/[^a-z0-9]+/gi, '-')}.png`, fullPage: true });
    expect(await axeViolations(page), name).toEqual([]);
    const layout = await inspectLayout(page);
    expect(layout.overlaps, name).toEqual([]);
    expect(layout.horizontalOverflow, name).toBe(false);
  }

  it('files an erasure from the customer view, follows it to completion, confirms the manual checklist and reads the report', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    const page = await context.newPage();
    // Sign in: e-mail and password, then the authenticator's code.
    await page.goto(`${server.url}/console/customers/${customerId}`);
    await page.waitForURL(/\/console\/sign-in\?return=/);
    await page.getByLabel('Work e-mail address').fill(officer.email);
    await page.getByLabel('Password').fill(OPERATOR_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Code').fill(authenticatorCode(officer.secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/console/customers/${customerId}`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Greta Glömsk');

    // File the erasure: a sensitive operation, allowed at once after a fresh sign-in.
    // The post leads to the request's own page (the customer may be gone by then).
    await Promise.all([page.waitForURL(/\/console\/privacy\/[^/]+$/), page.getByRole('button', { name: 'File an erasure request' }).click()]);
    const [filed] = (await server.api('GET', `/privacy-requests?customer_id=${customerId}`)).body.requests;
    expect(filed).toMatchObject({ kind: 'erasure', source: 'operator' });
    expect(page.url()).toBe(`${server.url}/console/privacy/${filed.id}`);

    // The queue shows it; its page shows every system's task as it moves. (The customer view the
    // post returns to may already be gone: Portvakt's own task erases the customer within moments.)
    await page.goto(`${server.url}/console`);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Privacy requests' }).click();
    await page.waitForURL(`${server.url}/console/privacy`);
    const row = page.locator(`tr[data-request="${filed.id}"]`);
    expect(await row.locator('[data-state]').getAttribute('data-state')).toMatch(/verified|in_progress/);
    await accessible(page, 'queue');
    await row.getByRole('link', { name: 'Erasure' }).click();
    await page.waitForURL(`${server.url}/console/privacy/${filed.id}`);
    const stateOf = (system: string) => page.locator(`tr[data-system="${system}"] td[data-state]`).getAttribute('data-state');
    await reloadUntil(page, `/console/privacy/${filed.id}`, async () => (await stateOf('crm')) === 'done' && (await stateOf('newsletter')) === 'done' && (await stateOf('portvakt')) === 'done');
    expect(await stateOf('support')).toBe('waiting_operator');
    expect(crm.calls.map((call) => [call.body.customer_reference, call.signatureValid])).toEqual([['CRM-77', true]]);
    expect(newsletter.callbacks.map((callback) => callback.status)).toEqual([204]);
    await accessible(page, 'request');

    // The manual system: confirming with a step unticked is refused; with both ticked it is done.
    const form = page.locator('section.confirm-task');
    await form.getByLabel(CHECKLIST[0]!).check();
    await form.getByRole('button', { name: 'Confirm as done' }).click();
    await expect(page.locator('section.confirm-task .field-error').innerText()).resolves.toContain('Tick every step of the checklist');
    expect(await page.locator('section.confirm-task').getByLabel(CHECKLIST[0]!).isChecked()).toBe(true);
    await page.locator('section.confirm-task').getByLabel(CHECKLIST[1]!).check();
    await page.locator('section.confirm-task').getByLabel('Note (optional)').fill('Two tickets, deleted with their attachments');
    await Promise.all([page.waitForURL(/done=confirmed/), page.locator('section.confirm-task').getByRole('button', { name: 'Confirm as done' }).click()]);
    expect(await page.getByRole('status').first().innerText()).toContain('The task is confirmed');
    await reloadUntil(page, `/console/privacy/${filed.id}`, async () => (await page.locator('#request-state').getAttribute('data-state')) === 'completed');

    // The evidence report, in the console.
    await page.getByRole('link', { name: 'Read the report' }).click();
    await page.waitForURL(`${server.url}/console/privacy/${filed.id}/report`);
    expect(await page.locator('#report-outcome').getAttribute('data-state')).toBe('completed');
    expect((await page.locator('tbody tr[data-system]').evaluateAll((rows) => rows.map((tr) => tr.getAttribute('data-system')))).sort()).toEqual(['crm', 'newsletter', 'portvakt', 'support']);
    expect(await page.locator('tr[data-system="support"]').innerText()).toContain('Confirmed by Petra Privacy');
    await accessible(page, 'report');

    // Done: the request left the open queue.
    await page.goto(`${server.url}/console/privacy`);
    expect(await page.locator(`tr[data-request="${filed.id}"]`).count()).toBe(0);
    await page.close();
  });

  it('lists every system on the data map with its customer count, and the other privacy pages read well in both languages', async () => {
    const map = (await server.api('GET', '/data-map')).body.systems as Array<{ system: string; customer_count: number }>;
    const page = await context.newPage();
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${server.url}/console/data-map?lang=sv`);
    const shown = await page.locator('tbody tr[data-system]').evaluateAll((rows) => rows.map((tr) => [tr.getAttribute('data-system'), Number(tr.querySelector('[data-customer-count]')!.getAttribute('data-customer-count'))]));
    expect(shown).toEqual(map.map((entry) => [entry.system, entry.customer_count]));
    expect(Object.fromEntries(shown)).toMatchObject({ crm: 1, newsletter: 0, support: 0 });
    await accessible(page, 'data map');
    for (const path of ['/console/consent-figures', '/console/audit?check=1', '/console/privacy?list=all']) {
      await page.goto(`${server.url}${path}`);
      await accessible(page, path);
    }
    await page.goto(`${server.url}/console/consent-figures`);
    expect(await page.locator('section[data-purpose="offers"] tr[data-brand="*"] [data-count="granted"]').innerText()).toBe('1');
    await page.goto(`${server.url}/console/audit?check=1`);
    expect(await page.locator('.chain-check').getAttribute('data-ok')).toBe('true');
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    await page.close();
  });
});
