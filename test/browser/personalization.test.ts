import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { expectGoodPage, launchChromium } from '../support/chromium.ts';
import { mapSystems } from '../support/data-map.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const DAY = 24 * 3600_000;
const WHO = { email: 'frida@example.se', password: 'a passphrase for the fridge story' };
const profiling = {
  sv: { title: 'Personliga erbjudanden', description: 'Vi använder det du köper för att visa det som passar dig.', legal_text: 'Tills du återkallar.' },
  en: { title: 'Personal offers', description: 'We use what you buy to show what suits you.', legal_text: 'Until you withdraw.' },
};
const FRIDGE_TEXTS = { sv: { title: 'Har nyss köpt ett kylskåp', reason: 'Du köpte ett kylskåp den {date}' }, en: { title: 'Recently bought a fridge', reason: 'You bought a fridge on {date}' } };

/**
 * The fridge story in Chromium (issue 22): the web shop reports a fridge, the customer sees why on
 * /account/personalization (Swedish and English), the shop's sign-in gets the `segments` claim;
 * the customer withdraws profiling on /account/consents, told first what that deletes; the
 * events and membership are gone, segment.left is sent and the next sign-in has no segment.
 */
describe.each(DIALECTS)('personalization the customer sees and withdraws in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let receiver: WebhookReceiver;
  let shop: RelyingParty;

  beforeAll(async () => {
    [server, browser, callbacks, receiver] = await Promise.all([startPortvakt(dialect), launchChromium(), CallbackServer.start(), WebhookReceiver.start()]);
    receiver.secret = (await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['segment.entered', 'segment.left'] })).body.secret;
    await server.api('POST', '/consent-purposes', { key: 'profiling', texts: profiling });
    await mapSystems(server, 'webshop');
    await server.api('POST', '/segments', { key: 'recent_fridge', rule: { event: { type: 'purchase', category: 'home/white-goods/fridges', within_days: 180 } }, texts: FRIDGE_TEXTS });
    const created = (await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [callbacks.uri('/cb')], first_party: true, segments: ['recent_fridge'] })).body;
    shop = await RelyingParty.discover(server.url, created.client_id, created.client_secret, callbacks.uri('/cb'));
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await receiver?.close();
    await server?.stop();
  });

  /** A sign-in at the shop asking for `segments`: the claim in the ID token. */
  async function signInAtShop(page: Page): Promise<unknown> {
    await page.goto(await shop.authorizationUrl({ scope: 'openid segments' }));
    if (await page.locator('input[name=password]').count()) {
      await page.locator('input[name=email]').fill(WHO.email);
      await page.locator('input[name=password]').fill(WHO.password);
      await page.locator('button.primary').click();
    }
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/cb')));
    return (await shop.callback(page.url())).claims()!.segments;
  }

  it('shows why, releases the claim, and withdraws everything with one click', async () => {
    const id = (await server.api('POST', '/customers', WHO)).body.id as string;
    await server.api('POST', `/customers/${id}/consents`, { purpose: 'profiling', version: 1, decision: 'granted', channel: 'web', locale: 'sv', agent_id: 'agent-1' });
    await server.api('PUT', `/customers/${id}/references/webshop`, { reference: 'W-1042' });
    const bought = Date.now() - 3 * DAY;
    const event = { id: 'order-1', customer: { ref: 'webshop:W-1042' }, type: 'purchase', occurred_at: new Date(bought).toISOString(), items: [{ sku: 'KYL-200', category: 'home/white-goods/fridges', amount: 8990, currency: 'SEK' }] };
    expect((await server.api('POST', '/events', { system: 'webshop', events: [event] })).body.accepted).toBe(1);

    const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    expect(await signInAtShop(page)).toEqual(['recent_fridge']);

    await page.goto(`${server.url}/account/personalization`);
    const day = new Intl.DateTimeFormat('sv-SE', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Stockholm' }).format(bought);
    await expect.poll(() => page.locator('li.segment').innerText()).toContain('Har nyss köpt ett kylskåp');
    expect(await page.locator('li.segment').innerText()).toContain(`Du köpte ett kylskåp den ${day}`);
    expect(await page.locator('body').innerText()).toContain('Vi sparar 1 händelser');
    await expectGoodPage(page, `personalization-${dialect}-sv`, { screenshot: `${SHOTS}account-personalization-${dialect}-sv.png`, axe: true, primary: false });

    // The same page in English.
    const english = await browser.newContext({ locale: 'en-GB' });
    const englishPage = await english.newPage();
    await englishPage.context().addCookies(await context.cookies());
    await englishPage.goto(`${server.url}/account/personalization`);
    expect(await englishPage.locator('li.segment').innerText()).toContain('You bought a fridge on');
    await expectGoodPage(englishPage, `personalization-${dialect}-en`, { screenshot: `${SHOTS}account-personalization-${dialect}-en.png`, axe: true, primary: false });

    // On /account/consents the profiling card says what withdrawing deletes, before the click.
    await page.goto(`${server.url}/account/consents`);
    const card = page.locator('li.consent[data-purpose=profiling]');
    expect(await card.locator('.gate-note').innerText()).toContain('raderar vi direkt det vi sparar om dina köp');
    await card.getByRole('button', { name: 'Återkalla' }).click();
    await page.waitForURL(/done=saved/);
    expect(await page.locator('li.consent[data-purpose=profiling]').getAttribute('data-state')).toBe('withdrawn');

    const db = server.portvakt.store.db;
    expect(await db.selectFrom('customer_signals').select('id').where('customer_id', '=', id).execute()).toEqual([]);
    expect(await db.selectFrom('segment_members').select('customer_id').where('customer_id', '=', id).execute()).toEqual([]);
    await expect.poll(() => receiver.received.map((hook) => [hook.type, hook.data.customer_id, hook.signatureValid])).toEqual([
      ['segment.entered', id, true],
      ['segment.left', id, true],
    ]);
    expect(await signInAtShop(page)).toEqual([]);

    await page.goto(`${server.url}/account/personalization`);
    expect(await page.locator('body').innerText()).toContain('Du har inte samtyckt till profilering');

    // Agreeing again keeps new events; the withdrawal button on /account/personalization deletes them and comes back there.
    await page.goto(`${server.url}/account/consents`);
    await page.locator('li.consent[data-purpose=profiling]').getByRole('button', { name: 'Godkänn' }).click();
    await page.waitForURL(/done=saved/);
    expect((await server.api('POST', '/events', { system: 'webshop', events: [{ ...event, id: 'order-2' }] })).body.accepted).toBe(1);
    await page.goto(`${server.url}/account/personalization`);
    expect(await page.locator('li.segment').count()).toBe(1);
    await page.getByRole('button', { name: 'Återkalla: Personliga erbjudanden' }).click();
    await page.waitForURL(/\/account\/personalization\?done=withdrawn/);
    expect(await page.locator('[role=status]').innerText()).toContain('Återkallat');
    expect(await db.selectFrom('customer_signals').select('id').where('customer_id', '=', id).execute()).toEqual([]);
    await context.close();
    await english.close();
  });
});
