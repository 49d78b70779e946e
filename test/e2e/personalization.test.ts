import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { mapSystems } from '../support/data-map.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT } from '../support/shop.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const DAY = 24 * 3600_000;
const texts = { title: 'Profiling', description: 'We use what you buy to show what fits.', legal_text: 'Until you withdraw.' };
const FRIDGE_RULE = { event: { type: 'purchase', category: 'home/white-goods/fridges', within_days: 180 } };
const FRIDGE_TEXTS = { sv: { title: 'Har nyss köpt ett kylskåp', reason: 'Du köpte ett kylskåp den {date}' }, en: { title: 'Recently bought a fridge', reason: 'You bought a fridge on {date}' } };

/** A purchase of a fridge, `daysAgo` days back. */
const fridge = (id: string, customer: Record<string, string>, daysAgo = 3) => ({
  id,
  customer,
  type: 'purchase',
  occurred_at: new Date(Date.now() - daysAgo * DAY).toISOString(),
  channel: 'web',
  items: [{ sku: 'KYL-200', category: 'home/white-goods/fridges', quantity: 1, amount: 8990, currency: 'SEK' }],
});

/**
 * Personalization under the profiling consent (issue 22): the fridge story end to end, the gate
 * that keeps nothing without a grant, time windows, integration keys' limits, and bad input that
 * writes nothing. The Chromium half (withdrawing on /account/consents) is test/browser/personalization.test.ts.
 */
describe.each(DIALECTS)('personalization on %s', (dialect) => {
  let server: RunningPortvakt;
  let receiver: WebhookReceiver;
  let shop: RelyingParty;
  let webshopKey: string;
  let loyaltyKey: string;
  const db = () => server.portvakt.store.db;
  const as = (key: string) => async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  };
  const signalRows = async (customerId: string) => (await db().selectFrom('customer_signals').selectAll().where('customer_id', '=', customerId).execute()).length;
  const memberRows = async (customerId: string) => (await db().selectFrom('segment_members').selectAll().where('customer_id', '=', customerId).execute()).length;

  async function customerWithGrant(email: string, reference?: string): Promise<string> {
    const id = (await server.api('POST', '/customers', { email, password: 'a long passphrase here' })).body.id as string;
    expect((await server.api('POST', `/customers/${id}/consents`, { purpose: 'profiling', version: 1, decision: 'granted', channel: 'web', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
    if (reference) expect((await as(webshopKey)('PUT', `/customers/${id}/references/webshop`, { reference })).status).toBe(200);
    return id;
  }

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    receiver = await WebhookReceiver.start();
    const subscription = (await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['segment.entered', 'segment.left'] })).body;
    receiver.secret = subscription.secret;
    expect((await server.api('POST', '/consent-purposes', { key: 'profiling', texts: { sv: texts, en: texts } })).status).toBe(201);
    await mapSystems(server, 'webshop', 'loyalty');
    webshopKey = (await server.api('POST', '/api-keys', { name: 'Webbshop', role: 'integration', systems: ['webshop'] })).body.key;
    loyaltyKey = (await server.api('POST', '/api-keys', { name: 'Kundklubb', role: 'integration', systems: ['loyalty'] })).body.key;
    const created = await server.api('POST', '/segments', { key: 'recent_fridge', rule: FRIDGE_RULE, texts: FRIDGE_TEXTS });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const client = (await server.api('POST', '/clients', { client_name: 'Webbshop', redirect_uris: [SHOP_REDIRECT], first_party: true, segments: ['recent_fridge'] })).body;
    expect(client.segments).toEqual(['recent_fridge']);
    shop = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  async function segmentsClaim(email: string) {
    const landed = await new CookieAgent().authorize(await shop.authorizationUrl({ scope: 'openid segments' }), server.url, { email, password: 'a long passphrase here' });
    const tokens = await shop.callback(landed);
    const userinfo = await oidc.fetchUserInfo(shop.config, tokens.access_token, tokens.claims()!.sub);
    return { idToken: tokens.claims()!.segments, userinfo: userinfo.segments };
  }

  it('the fridge story: bought by reference, in the segment, told by a signed webhook and the claim; a withdrawal takes it all in one transaction', async () => {
    const id = await customerWithGrant('frida@example.se', 'W-1042');
    const answer = await as(webshopKey)('POST', '/events', { system: 'webshop', events: [fridge('order-1', { ref: 'webshop:W-1042' })] });
    expect(answer).toEqual({ status: 200, body: { accepted: 1, duplicate: 0, dropped: { no_consent: 0, past_retention: 0 } } });
    // The same event again is a duplicate, kept once.
    expect((await as(webshopKey)('POST', '/events', { system: 'webshop', events: [fridge('order-1', { ref: 'webshop:W-1042' })] })).body).toMatchObject({ accepted: 0, duplicate: 1 });
    const segments = (await server.api('GET', `/customers/${id}/segments`)).body.segments;
    expect(segments).toEqual([{ segment: 'recent_fridge', entered_at: expect.any(Number), reason: { type: 'purchase', category: 'home/white-goods/fridges', occurred_at: expect.any(Number) } }]);
    expect((await server.api('GET', '/segments/recent_fridge/customers')).body.customers).toContain(id);
    const entered = (await receiver.waitFor(1)).find((hook) => hook.type === 'segment.entered' && hook.data.customer_id === id);
    expect(entered).toMatchObject({ signatureValid: true, data: { segment: 'recent_fridge' } });
    expect(await segmentsClaim('frida@example.se')).toEqual({ idToken: ['recent_fridge'], userinfo: ['recent_fridge'] });

    // Withdrawn (here by customer service; in Chromium by the customer): events, membership gone, segment.left sent, claim empty.
    expect((await server.api('POST', `/customers/${id}/consents`, { purpose: 'profiling', version: 1, decision: 'withdrawn', channel: 'phone', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
    expect(await signalRows(id)).toBe(0);
    expect(await memberRows(id)).toBe(0);
    await expect.poll(() => receiver.received.some((hook) => hook.type === 'segment.left' && hook.data.customer_id === id && hook.signatureValid)).toBe(true);
    expect((await server.api('GET', `/customers/${id}/segments`)).body.segments).toEqual([]);
    expect((await server.api('GET', '/segments/recent_fridge/customers')).body.customers).not.toContain(id);
    expect(await segmentsClaim('frida@example.se')).toEqual({ idToken: [], userinfo: [] });
  });

  it('keeps nothing of a customer without the grant: the event is dropped and counted, no row anywhere', async () => {
    const id = (await server.api('POST', '/customers', { email: 'utan@example.se', password: 'a long passphrase here' })).body.id as string;
    const answer = await server.api('POST', '/events', { system: 'webshop', events: [fridge('order-2', { id }), fridge('order-3', { id }, 10)] });
    expect(answer.body).toEqual({ accepted: 0, duplicate: 0, dropped: { no_consent: 2, past_retention: 0 } });
    expect(await signalRows(id)).toBe(0);
    expect(await db().selectFrom('customer_signals').select('id').where('event_id', 'in', ['order-2', 'order-3']).execute()).toEqual([]);
    expect(await memberRows(id)).toBe(0);
  });

  it('lets a member leave when the purchase ages out of the window, without a new event, and says so by webhook', async () => {
    const id = await customerWithGrant('tid@example.se');
    expect((await server.api('POST', '/events', { system: 'webshop', events: [fridge('order-4', { id }, 170)] })).body.accepted).toBe(1);
    expect(await memberRows(id)).toBe(1);
    const due = await db().selectFrom('segment_rechecks').select('due_at').where('customer_id', '=', id).executeTakeFirstOrThrow();
    // Due the day the purchase is 180 days old.
    expect(Math.abs(Number(due.due_at) - (Date.now() + 10 * DAY))).toBeLessThan(60_000);
    await server.portvakt.personalization.maintain(Date.now() + 9 * DAY);
    expect(await memberRows(id)).toBe(1);
    await server.portvakt.personalization.maintain(Date.now() + 11 * DAY);
    expect(await memberRows(id)).toBe(0);
    await expect.poll(() => receiver.received.find((hook) => hook.type === 'segment.left' && hook.data.customer_id === id)?.data).toEqual({ customer_id: id, segment: 'recent_fridge', cause: 'time' });
    // The signal itself stays until the retention (365 days) is past.
    expect(await signalRows(id)).toBe(1);
    await server.portvakt.personalization.maintain(Date.now() + 200 * DAY);
    expect(await signalRows(id)).toBe(0);
  });

  it('builds a new segment over the customers already under the consent, and follows rules on count, amount, attributes and other segments', async () => {
    const id = await customerWithGrant('bygg@example.se');
    const events = [1, 2, 3].map((n) => ({ ...fridge(`order-b${n}`, { id }, n), items: [{ sku: `S-${n}`, category: 'home/kitchen', quantity: 1, amount: 400 }] }));
    expect((await server.api('POST', '/events', { system: 'webshop', events })).body.accepted).toBe(3);
    const rule = { all: [{ event: { type: ['purchase'], category: 'home', count_at_least: 3, amount_at_least: 1000 } }, { not: { segment: 'recent_fridge' } }] };
    expect((await server.api('POST', '/segments', { key: 'kitchen_regular', rule, texts: FRIDGE_TEXTS })).status).toBe(201);
    await expect.poll(async () => (await server.api('GET', '/segments/kitchen_regular')).body).toMatchObject({ built: true, members: 1 });
    expect((await server.api('GET', `/customers/${id}/segments`)).body.segments.map((entry: { segment: string }) => entry.segment)).toEqual(['kitchen_regular']);
    // A fridge puts them in recent_fridge, and so out of kitchen_regular, in one step.
    expect((await server.api('POST', '/events', { system: 'webshop', events: [fridge('order-b4', { id })] })).body.accepted).toBe(1);
    expect((await server.api('GET', `/customers/${id}/segments`)).body.segments.map((entry: { segment: string }) => entry.segment)).toEqual(['recent_fridge']);
    // A segment another rule names cannot be removed.
    expect((await server.api('DELETE', '/segments/recent_fridge')).body.error).toBe('segment_in_use');
  });

  it('follows a rule on the profile and on consent as they change, in the transaction of the change', async () => {
    expect((await server.api('PUT', '/profile-schema/shoe_size', { type: 'text', labels: { sv: 'Skostorlek', en: 'Shoe size' } })).status).toBe(200);
    const rule = { all: [{ attribute: { key: 'shoe_size', in: ['42', '43'] } }, { not: { consent: { purpose: 'newsletter', state: 'granted' } } }] };
    expect((await server.api('POST', '/segments', { key: 'big_feet_no_mail', rule, texts: FRIDGE_TEXTS })).status).toBe(201);
    const id = await customerWithGrant('fot@example.se');
    const inSegment = async () => (await server.api('GET', `/customers/${id}/segments`)).body.segments.some((entry: { segment: string }) => entry.segment === 'big_feet_no_mail');
    expect(await inSegment()).toBe(false);
    expect((await server.api('PATCH', `/customers/${id}/attributes`, { shoe_size: '42' })).status).toBe(200);
    expect(await inSegment()).toBe(true);
    expect((await server.api('POST', '/consent-purposes', { key: 'newsletter', texts: { sv: texts, en: texts } })).status).toBe(201);
    expect((await server.api('POST', `/customers/${id}/consents`, { purpose: 'newsletter', version: 1, decision: 'granted', channel: 'web', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
    expect(await inSegment()).toBe(false);
    expect((await server.api('PATCH', `/customers/${id}/attributes`, { shoe_size: null })).status).toBe(200);
    expect((await server.api('POST', `/customers/${id}/consents`, { purpose: 'newsletter', version: 1, decision: 'withdrawn', channel: 'web', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
    expect(await inSegment()).toBe(false);
    expect((await server.api('DELETE', '/segments/big_feet_no_mail')).status).toBe(204);
  });

  it('lets a consent platform\'s late, older withdrawal change nothing, and a newer one delete what was kept', async () => {
    const cmp = as((await server.api('POST', '/api-keys', { name: 'Didomi', role: 'integration', systems: ['webshop'], consent_purposes: ['profiling'] })).body.key);
    const id = await customerWithGrant('plattform@example.se');
    expect((await server.api('POST', '/events', { system: 'webshop', events: [fridge('order-p1', { id })] })).body.accepted).toBe(1);
    const withdrawal = (recordId: string, capturedAt: number) => ({ purpose: 'profiling', version: 1, decision: 'withdrawn', channel: 'web', locale: 'sv', source: { platform: 'Didomi', record_id: recordId, captured_at: new Date(capturedAt).toISOString() } });
    const late = await cmp('POST', `/customers/${id}/consents`, withdrawal('rec-old', Date.now() - DAY));
    expect([late.status, late.body.counted]).toEqual([201, false]);
    expect(await signalRows(id)).toBe(1);
    expect(await memberRows(id)).toBe(1);
    const newer = await cmp('POST', `/customers/${id}/consents`, withdrawal('rec-new', Date.now()));
    expect([newer.status, newer.body.counted]).toEqual([201, true]);
    expect(await signalRows(id)).toBe(0);
    expect(await memberRows(id)).toBe(0);
  });

  it('keeps each customer in the segment once, and works from every batch, when batches about them arrive at the same time', async () => {
    // Only all eight batches together qualify a customer for this one: a membership worked out
    // from what one batch saw, while another held the customer, would leave them out.
    const EIGHT = { event: { type: 'purchase', category: 'home/white-goods/fridges', within_days: 180, count_at_least: 8 } };
    expect((await server.api('POST', '/segments', { key: 'eight_fridges', rule: EIGHT, texts: FRIDGE_TEXTS })).status).toBe(201);
    await expect.poll(async () => (await server.api('GET', '/segments/eight_fridges')).body.built).toBe(true);
    const ids = await Promise.all(Array.from({ length: 12 }, (_, n) => customerWithGrant(`samtidig-${n}@example.se`)));
    const entered = (segment: string) => receiver.received.filter((hook) => hook.type === 'segment.entered' && hook.data.segment === segment && ids.includes(hook.data.customer_id as string)).length;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, batch) => server.api('POST', '/events', { system: 'webshop', events: ids.map((id, n) => fridge(`race-${batch}-${n}`, { id }, 1 + batch)) })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(answers.reduce((sum, answer) => sum + answer.body.accepted, 0)).toBe(8 * ids.length);
    // Every answer came after the memberships of its customers were worked out: nothing left for later.
    for (const segment of ['recent_fridge', 'eight_fridges']) {
      const members = await db().selectFrom('segment_members').select('customer_id').where('segment_key', '=', segment).where('customer_id', 'in', ids).execute();
      expect(members.length, segment).toBe(ids.length);
    }
    expect(await db().selectFrom('segment_marks').select('customer_id').where('customer_id', 'in', ids).execute()).toEqual([]);
    await expect.poll(() => entered('recent_fridge')).toBe(ids.length);
    await expect.poll(() => entered('eight_fridges')).toBe(ids.length);
    expect((await server.api('DELETE', '/segments/eight_fridges')).status).toBe(204);
  });

  it('lets an integration key report only as, and by the references of, the systems it names', async () => {
    const id = await customerWithGrant('lojal@example.se', 'W-7');
    const byWebshopRef = await as(loyaltyKey)('POST', '/events', { system: 'loyalty', events: [fridge('l-1', { ref: 'webshop:W-7' })] });
    expect(byWebshopRef.status).toBe(403);
    expect(byWebshopRef.body.error).toBe('forbidden');
    expect((await as(loyaltyKey)('POST', '/events', { system: 'webshop', events: [fridge('l-2', { id })] })).status).toBe(403);
    expect(await signalRows(id)).toBe(0);
    expect((await as(loyaltyKey)('POST', '/events', { system: 'loyalty', events: [fridge('l-3', { id })] })).body.accepted).toBe(1);
    expect((await as(loyaltyKey)('POST', '/segments', { key: 'x_by_key', rule: FRIDGE_RULE, texts: FRIDGE_TEXTS })).status).toBe(403);
  });

  it('refuses bad input with a stable code and writes nothing of the batch', async () => {
    const id = await customerWithGrant('fel@example.se');
    const good = fridge('bad-0', { id });
    const cases: Array<[string, unknown, number, string]> = [
      ['unknown type', [good, { ...fridge('bad-1', { id }), type: 'teleport' }], 400, 'unknown_event_type'],
      ['malformed category', [good, { ...fridge('bad-2', { id }), items: [{ sku: 'x', category: 'Home//Fridges' }] }], 400, 'validation_failed'],
      ['future-dated', [good, { ...fridge('bad-3', { id }), occurred_at: new Date(Date.now() + 5 * 60_000).toISOString() }], 400, 'occurred_in_future'],
      ['1,001 events', Array.from({ length: 1001 }, (_, n) => fridge(`bad-many-${n}`, { id })), 400, 'validation_failed'],
      ['unknown reference', [good, fridge('bad-4', { ref: 'webshop:nobody' })], 422, 'unknown_customer'],
      ['unknown customer id', [good, fridge('bad-5', { id: crypto.randomUUID() })], 422, 'unknown_customer'],
      ['unknown field', [{ ...good, colour: 'white' }], 400, 'unknown_field'],
    ];
    for (const [name, events, status, error] of cases) {
      const answer = await server.api('POST', '/events', { system: 'webshop', events });
      expect([answer.status, answer.body.error], name).toEqual([status, error]);
    }
    expect((await server.api('POST', '/events', { system: 'nowhere', events: [good] })).body.error).toBe('unknown_system');
    expect(await signalRows(id)).toBe(0);
    // A declared type is accepted.
    expect((await server.api('PUT', '/event-types/wishlist_add', { description: 'Added to a wish list' })).status).toBe(200);
    expect((await server.api('POST', '/events', { system: 'webshop', events: [{ ...good, type: 'wishlist_add' }] })).body.accepted).toBe(1);

    const before = (await server.api('GET', '/segments')).body.segments.length;
    const rules: Array<[string, unknown, string]> = [
      ['unknown field', { event: { type: 'purchase', colour: 'white' } }, 'unknown_field'],
      ['unknown predicate', { weather: 'sunny' }, 'validation_failed'],
      ['self cycle', { segment: 'loop_a' }, 'segment_cycle'],
      ['unknown segment', { segment: 'no_such' }, 'unknown_segment'],
      ['window beyond retention', { event: { within_days: 400 } }, 'window_beyond_retention'],
    ];
    for (const [name, rule, error] of rules) {
      const answer = await server.api('POST', '/segments', { key: 'loop_a', rule, texts: FRIDGE_TEXTS });
      expect([answer.status, answer.body.error], name).toEqual([400, error]);
    }
    // A cycle through two segments: b names a, then a is changed to name b.
    expect((await server.api('POST', '/segments', { key: 'loop_b', rule: { segment: 'recent_fridge' }, texts: FRIDGE_TEXTS })).status).toBe(201);
    expect((await server.api('POST', '/segments', { key: 'loop_c', rule: { segment: 'loop_b' }, texts: FRIDGE_TEXTS })).status).toBe(201);
    const cycle = await server.api('PUT', '/segments/loop_b', { rule: { segment: 'loop_c' } });
    expect([cycle.status, cycle.body.error]).toEqual([400, 'segment_cycle']);
    expect((await server.api('GET', '/segments/loop_b')).body.rule).toEqual({ segment: 'recent_fridge' });
    expect((await server.api('GET', '/segments')).body.segments.length).toBe(before + 2);
  });

  it('puts signals and segments in the export, and erasure leaves none', async () => {
    const id = await customerWithGrant('radera@example.se');
    expect((await server.api('POST', '/events', { system: 'webshop', events: [fridge('order-e1', { id })] })).body.accepted).toBe(1);
    const exported = (await server.portvakt.customers.exportData(id)).sections;
    expect(exported.activity).toEqual([expect.objectContaining({ system: 'webshop', event_id: 'order-e1', type: 'purchase' })]);
    // recent_fridge, and the two test segments that name it (loop_b, and loop_c through it).
    expect(exported.segments!.map((entry) => (entry as { segment: string }).segment)).toEqual(['loop_b', 'loop_c', 'recent_fridge']);
    expect(exported.segments![2]).toMatchObject({ reason: { type: 'purchase', category: 'home/white-goods/fridges' } });
    await server.portvakt.customers.erase(id, 'test-request', async () => {});
    expect(await signalRows(id)).toBe(0);
    expect(await memberRows(id)).toBe(0);
    expect(await db().selectFrom('segment_rechecks').select('customer_id').where('customer_id', '=', id).execute()).toEqual([]);
  });
});
