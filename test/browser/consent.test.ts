import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.ts';
import { inspectLayout, launchChromium } from '../support/chromium.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const PURPOSES = [
  { key: 'social_media_ads', en: 'Ads on social media', sv: 'Annonser i sociala medier' },
  { key: 'partner_sharing', en: 'Sharing with partners', sv: 'Delning med partner' },
  { key: 'profiling', en: 'Personal offers', sv: 'Personliga erbjudanden' },
];

describe.each(DIALECTS)('consent at sign-up and on the account page in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let callbacks: CallbackServer;
  let receiver: WebhookReceiver;
  let shop: RelyingParty;

  beforeAll(async () => {
    [server, browser, callbacks, receiver] = await Promise.all([startPortvakt(dialect, { OUTBOX_POLL_MS: '100' }), launchChromium(), CallbackServer.start(), WebhookReceiver.start()]);
    const created = await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [callbacks.uri('/shop')], first_party: true });
    shop = await RelyingParty.discover(server.url, created.body.client_id, created.body.client_secret, callbacks.uri('/shop'));
    receiver.secret = (await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['consent.granted', 'consent.withdrawn'] })).body.secret;
    for (const purpose of PURPOSES) {
      const texts = {
        en: { title: purpose.en, description: `We use your data for ${purpose.en.toLowerCase()}.`, legal_text: `Terms for ${purpose.en}.` },
        sv: { title: purpose.sv, description: `Vi använder dina uppgifter för ${purpose.sv.toLowerCase()}.`, legal_text: `Villkor för ${purpose.sv}.` },
      };
      await server.api('POST', '/consent-purposes', { key: purpose.key, texts });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await callbacks?.close();
    await receiver?.close();
    await server?.stop();
  });

  it('records every purpose shown as a decision, releases only the granted one, and withdraws it with one click', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(await shop.authorizationUrl({ scope: 'openid email consents' }));
    await page.getByRole('link', { name: 'Create an account' }).click();
    for (const purpose of PURPOSES) expect(await page.getByLabel(purpose.en).isChecked()).toBe(false);
    const accept = await page.getByRole('button', { name: 'Accept all' }).boundingBox();
    const reject = await page.getByRole('button', { name: 'Reject all' }).boundingBox();
    expect(Math.abs(accept!.width - reject!.width)).toBeLessThan(2);
    expect(Math.abs(accept!.height - reject!.height)).toBeLessThan(2);
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}sign-up-consents.png`, fullPage: true });
    const layout = await inspectLayout(page);
    expect(layout.overlaps).toEqual([]);

    await page.getByLabel('Sharing with partners').check();
    await page.getByLabel('E-mail address').fill('chooser@example.se');
    // Enter in the e-mail field submits the choices as ticked: "Accept all" comes first among the
    // visible buttons, and must not be what Enter presses.
    await page.getByLabel('E-mail address').press('Enter');
    await page.getByLabel('Code').fill(codeIn((await waitForMessage(server.url, 'chooser@example.se')).body));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Not now' }).click();
    await page.waitForURL((url) => url.toString().startsWith(callbacks.uri('/shop')));
    const tokens = await shop.callback(page.url());
    const sub = tokens.claims()!.sub;

    const { body } = await server.api('GET', `/customers/${sub}/consents`);
    const hashes = new Map((await server.api('GET', '/consent-purposes')).body.purposes.map((purpose: { key: string; text_hash: string }) => [purpose.key, purpose.text_hash]));
    expect(body.history).toHaveLength(3);
    expect(Object.fromEntries(body.history.map((record: { purpose: string; decision: string }) => [record.purpose, record.decision]))).toEqual({
      social_media_ads: 'declined',
      partner_sharing: 'granted',
      profiling: 'declined',
    });
    for (const record of body.history) expect(record).toMatchObject({ text_hash: hashes.get(record.purpose), channel: 'web', actor_type: 'customer', locale: 'en' });
    expect((await shop.userinfo(tokens.access_token, sub)).consents).toEqual([{ purpose: 'partner_sharing', version: 1 }]);
    expect((await receiver.waitFor(1))[0]).toMatchObject({ type: 'consent.granted', signatureValid: true, data: { purpose: 'partner_sharing', customer_id: sub } });

    await page.goto(`${server.url}/account/consents`);
    expect(await page.locator('h1').textContent()).toBe('Your choices');
    const row = page.locator('[data-purpose=partner_sharing]');
    expect(await row.getAttribute('data-state')).toBe('granted');
    if (dialect === 'sqlite') await page.screenshot({ path: `${SHOTS}account-consents.png`, fullPage: true });
    expect((await inspectLayout(page)).overlaps).toEqual([]);
    await row.getByRole('button', { name: 'Withdraw' }).click();
    await page.waitForURL(/done=saved/);
    expect(await page.locator('[data-purpose=partner_sharing]').getAttribute('data-state')).toBe('withdrawn');

    expect((await receiver.waitFor(2))[1]).toMatchObject({ type: 'consent.withdrawn', signatureValid: true, data: { purpose: 'partner_sharing' } });
    expect((await shop.userinfo(tokens.access_token, sub)).consents).toEqual([]);
    const history = (await server.api('GET', `/customers/${sub}/consents`)).body.history.filter((record: { purpose: string }) => record.purpose === 'partner_sharing');
    expect(history.map((record: { decision: string; text_hash: string }) => [record.decision, record.text_hash])).toEqual([
      ['withdrawn', hashes.get('partner_sharing')],
      ['granted', hashes.get('partner_sharing')],
    ]);
    await context.close();
  });
});
