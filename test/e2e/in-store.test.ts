import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { mapSystems } from '../support/data-map.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT } from '../support/shop.ts';
import { smsGatewayEnv, startGateway } from '../support/sms-gateway.ts';

const texts = { title: 'Profiling', description: 'We use what you buy to show what fits.', legal_text: 'Until you withdraw.' };
const PHONE = '+46701112233';
const FRIDGE = [{ sku: 'KYL-200', category: 'home/white-goods/fridges', amount: 8990, currency: 'SEK' }];

/**
 * In the store (issue 23): the member code an app fetches, identified once at a till of its brand
 * (and refused when used, expired, unknown or at another brand's till); the phone at the till with
 * an SMS code; receipts as orders and, under the profiling consent only, purchase events; what a
 * till key may not do, throttling, and bad input.
 */
describe.each(DIALECTS)('in the store on %s', (dialect) => {
  let server: RunningPortvakt;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let app: RelyingParty;
  let hemmaTill: string;
  let outletTill: string;
  let customerId: string;
  const who = { email: 'butik@example.se', password: 'a passphrase for the store' };
  const as = (key: string) => async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  /** A member code the app fetches with its access token (the app's client is of the brand hemma). */
  async function appCode(): Promise<string> {
    const landed = await new CookieAgent().authorize(await app.authorizationUrl({ scope: 'openid member_code' }), server.url, who);
    const tokens = await app.callback(landed);
    const response = await fetch(`${server.url}/app/member-code`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const code = (await response.json()) as { code: string; display: string; qr: string; expires_in: number; refresh_in: number };
    expect(code).toMatchObject({ code: expect.stringMatching(/^\d{12}$/), qr: expect.stringMatching(/^data:image\/svg\+xml;base64,/), expires_in: 120, refresh_in: 30 });
    expect(code.display.replaceAll(' ', '')).toBe(code.code);
    return code.code;
  }

  beforeAll(async () => {
    gateway = await startGateway();
    // A lock of half a minute after the free attempts, so the throttling test sees it whatever the machine's pace.
    server = await startPortvakt(dialect, { ...smsGatewayEnv(gateway.url), LOGIN_DELAY_BASE_SECONDS: '30' });
    await mapSystems(server, 'pos', 'loyalty', 'crm');
    expect((await server.api('POST', '/consent-purposes', { key: 'profiling', texts: { sv: texts, en: texts } })).status).toBe(201);
    for (const brand of ['hemma', 'outlet']) expect((await server.api('PUT', `/brands/${brand}`, { name: brand.toUpperCase(), accent_color: '#0b6e4f' })).status).toBe(200);
    expect((await server.api('POST', '/segments', { key: 'recent_fridge', rule: { event: { type: 'purchase', category: 'home/white-goods/fridges', within_days: 180 } }, texts: { sv: { title: 'Kylskåp', reason: 'Köpt {date}' }, en: { title: 'Fridge', reason: 'Bought {date}' } } })).status).toBe(201);
    const store = await server.api('PUT', '/stores/sthlm-city', { name: 'Hemma Stockholm City', brand: 'hemma', system: 'pos', reference_systems: ['loyalty'], segments: ['recent_fridge'] });
    expect(store.status, JSON.stringify(store.body)).toBe(200);
    expect((await server.api('PUT', '/stores/outlet-kungens-kurva', { name: 'Outlet Kungens kurva', brand: 'outlet', system: 'pos' })).status).toBe(200);
    hemmaTill = (await server.api('POST', '/api-keys', { name: 'Kassa 1', role: 'store', store: 'sthlm-city' })).body.key;
    outletTill = (await server.api('POST', '/api-keys', { name: 'Kassa 1', role: 'store', store: 'outlet-kungens-kurva' })).body.key;
    customerId = (await server.api('POST', '/customers', { ...who, phone_number: PHONE, phone_number_verified: true })).body.id;
    await server.api('PUT', `/customers/${customerId}/references/loyalty`, { reference: 'L-9' });
    await server.api('PUT', `/customers/${customerId}/references/crm`, { reference: 'CRM-1' });
    await server.api('POST', `/customers/${customerId}/consents`, { purpose: 'profiling', version: 1, decision: 'granted', channel: 'store', locale: 'sv', agent_id: 'agent-1' });
    const client = (await server.api('POST', '/clients', { client_name: 'Hemma-appen', redirect_uris: [SHOP_REDIRECT], first_party: true, brand: 'hemma' })).body;
    app = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
  });
  afterAll(async () => {
    await server?.stop();
    gateway?.server.close();
  });

  it('identifies the customer once by the code the app shows, with only what the store releases, and puts the receipt on the account', async () => {
    const code = await appCode();
    const identified = await as(hemmaTill)('POST', '/store/identify', { code });
    expect(identified).toEqual({ status: 200, body: { visit_id: expect.any(String), customer_id: customerId, references: { loyalty: 'L-9' }, segments: [] } });
    // Used once.
    expect((await as(hemmaTill)('POST', '/store/identify', { code })).body.error).toBe('code_used');

    const receipt = await as(hemmaTill)('POST', '/store/receipts', { visit_id: identified.body.visit_id, receipt_id: 'R-1001', occurred_at: new Date().toISOString(), items: FRIDGE });
    expect(receipt).toEqual({ status: 201, body: { order: 'sthlm-city:R-1001', event: { accepted: 1, duplicate: 0, dropped: { no_consent: 0, past_retention: 0 } } } });
    expect((await server.api('GET', `/customers/${customerId}/orders`)).body.orders.map((order: { reference: string }) => order.reference)).toContain('sthlm-city:R-1001');
    // The customer sees it among their orders on their own account page.
    const customer = new CookieAgent();
    expect(await customer.authorize(`${server.url}/account/profile`, server.url, who)).toBe(`${server.url}/account/profile`);
    expect(await (await customer.request(`${server.url}/account/profile`)).text()).toContain('data-order="sthlm-city:R-1001"');
    const signal = await server.portvakt.store.db.selectFrom('customer_signals').selectAll().where('customer_id', '=', customerId).executeTakeFirstOrThrow();
    expect(signal).toMatchObject({ system: 'pos', event_id: 'sthlm-city:R-1001', channel: 'store', brand: 'hemma' });
    // Now the fridge segment is released to the store's till.
    expect((await as(hemmaTill)('POST', '/store/identify', { code: await appCode() })).body.segments).toEqual(['recent_fridge']);
    const timeline = JSON.stringify((await server.api('GET', `/customers/${customerId}/timeline`)).body);
    expect(timeline).toContain('store.identified');
    expect(timeline).toContain('sthlm-city');
  });

  it('lists the stores on the data map with what their tills receive', async () => {
    const map = (await server.api('GET', '/data-map')).body;
    expect(map.recipients).toEqual([
      { kind: 'store', key: 'outlet-kungens-kurva', name: 'Outlet Kungens kurva', receives: ['identity'], system: 'pos' },
      { kind: 'store', key: 'sthlm-city', name: 'Hemma Stockholm City', receives: ['identity', 'external_references', 'activity'], system: 'pos' },
    ]);
    expect(map.systems.map((system: { system: string }) => system.system)).toContain('pos');
  });

  it('refuses a code at another brand\'s till, expired, unknown or malformed, and a till key anything but its own work', async () => {
    const code = await appCode();
    expect(await as(outletTill)('POST', '/store/identify', { code })).toMatchObject({ status: 403, body: { error: 'code_other_brand' } });
    await server.portvakt.store.db.updateTable('member_codes').set({ expires_at: Date.now() - 1 }).where('customer_id', '=', customerId).where('used_at', 'is', null).execute();
    expect(await as(hemmaTill)('POST', '/store/identify', { code })).toMatchObject({ status: 410, body: { error: 'code_expired' } });
    expect(await as(hemmaTill)('POST', '/store/identify', { code: '000000000000' })).toMatchObject({ status: 404, body: { error: 'code_unknown' } });
    expect(await as(hemmaTill)('POST', '/store/identify', { code: '12345' })).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    for (const [method, path] of [['GET', `/customers/${customerId}`], ['GET', `/customers?phone=${encodeURIComponent(PHONE)}`], ['GET', `/customers/${customerId}/references`], ['POST', '/events'], ['GET', '/stores']] as const) {
      expect((await as(hemmaTill)(method, path)).status, `${method} ${path}`).toBe(403);
    }
    // The admin key is no till.
    expect((await server.api('POST', '/store/identify', { code: '000000000000' })).body.error).toBe('store_key_required');
  });

  it('identifies by phone and SMS code, audited with the store; a wrong code counts, an unknown number is answered alike', async () => {
    const started = await as(hemmaTill)('POST', '/store/phone-verifications', { phone_number: PHONE });
    expect(started.status).toBe(201);
    await expect.poll(() => gateway.texts.filter((text) => text.to === PHONE).length).toBe(1);
    const text = gateway.texts.find((entry) => entry.to === PHONE)!;
    expect(text.signatureValid).toBe(true);
    const wrong = await as(hemmaTill)('POST', `/store/phone-verifications/${started.body.verification_id}/check`, { code: '000000' === codeIn(text.body) ? '111111' : '000000' });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_code' } });
    // Another store's till cannot use this store's verification.
    expect((await as(outletTill)('POST', `/store/phone-verifications/${started.body.verification_id}/check`, { code: codeIn(text.body) })).body.error).toBe('invalid_code');
    const identified = await as(hemmaTill)('POST', `/store/phone-verifications/${started.body.verification_id}/check`, { code: codeIn(text.body) });
    expect(identified).toMatchObject({ status: 200, body: { customer_id: customerId, references: { loyalty: 'L-9' } } });
    const verification = (await server.api('GET', `/verifications/${started.body.verification_id}`)).body;
    expect(verification).toMatchObject({ status: 'verified', agent_id: 'store:sthlm-city' });

    const stranger = await as(hemmaTill)('POST', '/store/phone-verifications', { phone_number: '+46709998877' });
    expect(stranger.status).toBe(201);
    expect(Object.keys(stranger.body)).toEqual(['verification_id']);
    expect((await as(hemmaTill)('POST', `/store/phone-verifications/${stranger.body.verification_id}/check`, { code: '123456' })).body.error).toBe('invalid_code');
  });

  it('identifies by phone and a prompt the customer approves in their account instead of a code', async () => {
    const started = (await as(hemmaTill)('POST', '/store/phone-verifications', { phone_number: PHONE, channel: 'portal' })).body;
    // Not approved yet.
    expect((await as(hemmaTill)('POST', `/store/phone-verifications/${started.verification_id}/check`, {})).body.error).toBe('not_verified');
    const customer = new CookieAgent();
    expect(await customer.authorize(`${server.url}/account/verifications`, server.url, who)).toBe(`${server.url}/account/verifications`);
    const page = await (await customer.request(`${server.url}/account/verifications`)).text();
    expect(page).toContain(started.verification_id);
    await customer.postForm(`${server.url}/account/verifications/${started.verification_id}`, { csrf: csrfOf(page), decision: 'approve' });
    const identified = await as(hemmaTill)('POST', `/store/phone-verifications/${started.verification_id}/check`, {});
    expect(identified).toMatchObject({ status: 200, body: { customer_id: customerId, references: { loyalty: 'L-9' } } });
  });

  it('keeps the order but not the purchase of a customer without the profiling consent', async () => {
    const other = (await server.api('POST', '/customers', { email: 'utan-samtycke@example.se', phone_number: '+46702223344', phone_number_verified: true })).body.id as string;
    const started = await as(hemmaTill)('POST', '/store/phone-verifications', { phone_number: '+46702223344' });
    await expect.poll(() => gateway.texts.some((text) => text.to === '+46702223344')).toBe(true);
    const code = codeIn(gateway.texts.find((text) => text.to === '+46702223344')!.body);
    const visit = (await as(hemmaTill)('POST', `/store/phone-verifications/${started.body.verification_id}/check`, { code })).body.visit_id;
    const receipt = await as(hemmaTill)('POST', '/store/receipts', { visit_id: visit, receipt_id: 'R-2002', occurred_at: new Date().toISOString(), items: FRIDGE });
    expect(receipt.body).toEqual({ order: 'sthlm-city:R-2002', event: { accepted: 0, duplicate: 0, dropped: { no_consent: 1, past_retention: 0 } } });
    expect((await server.api('GET', `/customers/${other}/orders`)).body.orders.map((order: { reference: string }) => order.reference)).toEqual(['sthlm-city:R-2002']);
    expect(await server.portvakt.store.db.selectFrom('customer_signals').select('id').where('customer_id', '=', other).execute()).toEqual([]);
    // Another store's till cannot post on this visit.
    expect((await as(outletTill)('POST', '/store/receipts', { visit_id: visit, receipt_id: 'R-3', occurred_at: new Date().toISOString(), items: [] })).body.error).toBe('unknown_visit');
  });

  it('throttles member codes per till', async () => {
    const good = await appCode();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 22 && statuses.at(-1) !== 429; attempt++) statuses.push((await as(outletTill)('POST', '/store/identify', { code: String(100000000000 + attempt) })).status);
    // Unknown codes until the till's (and the network's) free attempts are spent, then 429, even for a good code.
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 404)).toBe(true);
    expect(statuses.length).toBeGreaterThan(10);
    // Locked for a while (the delay doubles with each miss): even a good code waits.
    expect((await as(outletTill)('POST', '/store/identify', { code: good })).status).toBe(429);
  });

  it('refuses bad store settings and keys with a stable code, writing nothing', async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['/stores/x1', { name: 'X', system: 'nowhere' }, 409, 'unknown_system'],
      ['/stores/x2', { name: 'X', system: 'pos', reference_systems: ['nowhere'] }, 409, 'unknown_system'],
      ['/stores/x3', { name: 'X', system: 'pos', segments: ['no_such'] }, 400, 'unknown_segment'],
      ['/stores/x4', { name: 'X', system: 'pos', brand: 'no-such-brand' }, 400, 'unknown_brand'],
      ['/stores/x5', { name: 'X', system: 'pos', colour: 'red' }, 400, 'unknown_field'],
      ['/stores/Bad Key', { name: 'X', system: 'pos' }, 400, 'validation_failed'],
    ];
    for (const [path, body, status, error] of cases) {
      const answer = await server.api('PUT', path, body);
      expect([answer.status, answer.body.error], path).toEqual([status, error]);
    }
    expect((await server.api('GET', '/stores')).body.stores.map((store: { key: string }) => store.key)).toEqual(['outlet-kungens-kurva', 'sthlm-city']);
    const keys: Array<[unknown, number, string]> = [
      [{ name: 'K', role: 'store' }, 400, 'validation_failed'],
      [{ name: 'K', role: 'store', store: 'no-such-store' }, 400, 'unknown_store'],
      [{ name: 'K', role: 'agent', store: 'sthlm-city' }, 400, 'validation_failed'],
    ];
    for (const [body, status, error] of keys) {
      const answer = await server.api('POST', '/api-keys', body);
      expect([answer.status, answer.body.error], JSON.stringify(body)).toEqual([status, error]);
    }
    expect((await server.api('DELETE', '/stores/sthlm-city')).body.error).toBe('store_has_tills');
    for (const body of [{ phone_number: '0701234567' }, { phone_number: PHONE, channel: 'email' }, { phone_number: PHONE, extra: 1 }]) {
      expect((await as(hemmaTill)('POST', '/store/phone-verifications', body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await as(hemmaTill)('POST', '/store/phone-verifications/not-a-uuid/check', { code: '123456' })).status).toBe(400);
    expect((await as(hemmaTill)('POST', '/store/receipts', { visit_id: crypto.randomUUID(), receipt_id: '', occurred_at: 'yesterday', items: [] })).status).toBe(400);
    expect((await as(hemmaTill)('POST', '/store/receipts', { visit_id: crypto.randomUUID(), receipt_id: 'R-9', occurred_at: new Date().toISOString(), items: [] })).body.error).toBe('unknown_visit');
    const unauthenticated = await fetch(`${server.url}/app/member-code`, { method: 'POST', headers: { authorization: 'Bearer not-a-token-at-all-0123456789' } });
    expect(unauthenticated.status).toBe(401);
  });
});
