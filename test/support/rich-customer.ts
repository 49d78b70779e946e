import { expect } from 'vitest';
import { CookieAgent } from './cookie-agent.ts';
import type { RunningPortvakt } from './portvakt-server.ts';
import { RelyingParty } from './relying-party.ts';
import { SHOP_REDIRECT } from './shop.ts';

export const RICH_ADDRESS = { street_address: 'Storgatan 1', postal_code: '111 22', locality: 'Stockholm', country: 'SE' };

/** What a rich customer needs on the server: a brand with a first-party shop, consent purposes (profiling among them), a mapped system, a custom attribute, a segment. */
export async function prepareRichCustomers(server: RunningPortvakt): Promise<RelyingParty> {
  const api = server.api.bind(server);
  expect((await api('PUT', '/brands/outlet', { name: 'Outlet', accent_color: '#0b6e4f' })).status).toBe(200);
  const client = (await api('POST', '/clients', { client_name: 'Outlet shop', redirect_uris: [SHOP_REDIRECT], first_party: true, brand: 'outlet' })).body;
  const texts = { title: 'Offers', description: 'Offers by e-mail.', legal_text: 'Until you withdraw.' };
  expect((await api('POST', '/consent-purposes', { key: 'offers', texts: { sv: texts, en: texts } })).status).toBe(201);
  expect((await api('POST', '/systems', { key: 'crm', name: 'CRM', categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['Export the customer card'] })).status).toBe(201);
  expect((await api('POST', '/consent-purposes', { key: 'profiling', texts: { sv: texts, en: texts } })).status).toBe(201);
  expect((await api('POST', '/segments', { key: 'recent_fridge', rule: { event: { type: 'purchase', category: 'home/white-goods/fridges', within_days: 180 } }, texts: { sv: { title: 'Kylskåp', reason: 'Köpt {date}' }, en: { title: 'Fridge', reason: 'Bought {date}' } } })).status).toBe(201);
  expect((await api('PUT', '/profile-schema/shoe_size', { type: 'text', labels: { sv: 'Skostorlek', en: 'Shoe size' } })).status).toBe(200);
  return RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
}

/**
 * A customer who used every feature: a guest checkout claimed at sign-up at the brand's shop (with
 * orders and a consent), password, names, phone, address, birthdate and a custom attribute, a
 * linked identity (its row: linking one takes a second provider), a reference into a mapped
 * system, a consent given in store, a session at the brand, a caller verification, and under the
 * profiling consent a purchase the CRM reported and the segment it put them in, and a visit at a
 * store's till.
 */
export async function richCustomer(server: RunningPortvakt, rp: RelyingParty, email: string): Promise<{ id: string; browser: CookieAgent; guestId: string }> {
  const api = server.api.bind(server);
  const db = server.portvakt.store.db;
  const guest = (await api('POST', '/guests', { email, given_name: 'Eva', order_references: ['W-100', 'W-101'], consents: [{ purpose: 'offers', version: 1, decision: 'granted' }] })).body;
  const browser = new CookieAgent();
  const who = { email, password: 'a long passphrase of eva', signUp: true, givenName: 'Eva', familyName: 'Ek' };
  expect(await browser.authorize(await rp.authorizationUrl({ prompt: 'create', guest: guest.claim_token }), server.url, who)).toMatch(/\/callback\?code=/);
  const id = (await api('GET', `/customers?email=${encodeURIComponent(email)}`)).body.customers[0].id as string;
  expect((await api('PATCH', `/customers/${id}`, { phone_number: `+4670${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, locale: 'sv' })).status).toBe(200);
  expect((await api('PATCH', `/customers/${id}/attributes`, { address: RICH_ADDRESS, birthdate: '1990-05-17', shoe_size: '42' })).status).toBe(200);
  expect((await api('PUT', `/customers/${id}/references/crm`, { reference: `CRM-${email}` })).status).toBe(200);
  expect((await api('POST', `/customers/${id}/consents`, { purpose: 'offers', version: 1, decision: 'granted', channel: 'store', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
  expect((await api('POST', `/customers/${id}/consents`, { purpose: 'profiling', version: 1, decision: 'granted', channel: 'store', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
  const fridge = { id: `order-${id}`, customer: { id }, type: 'purchase', occurred_at: new Date().toISOString(), items: [{ sku: 'KYL-200', category: 'home/white-goods/fridges', amount: 8990, currency: 'SEK' }] };
  expect((await api('POST', '/events', { system: 'crm', events: [fridge] })).body.accepted).toBe(1);
  expect((await api('POST', `/customers/${id}/verifications`, { channel: 'email', agent_id: 'Anna at customer service' })).status).toBe(201);
  const now = Date.now();
  const idp = await db.selectFrom('connections').select('key').where('key', '=', 'test-idp').executeTakeFirst();
  if (!idp) await db.insertInto('connections').values({ key: 'test-idp', name: 'Test IdP', kind: 'oidc', issuer: 'https://idp.example', client_id: 'portvakt', client_secret: null, scopes: 'openid email', trust_email_verified: 0, enabled: 1, settings: '{}', clients: null, brands: null, version: 0, created_at: now, updated_at: now }).execute();
  await db.insertInto('identities').values({ connection: 'test-idp', subject: `upstream-${id}`, customer_id: id, created_at: now, last_used_at: now }).execute();
  // A till identified them in a store (its row, as the till writes it: a till takes a store, a key and a member code).
  await db.insertInto('store_visits').values({ id: crypto.randomUUID(), store: 'outlet-city', customer_id: id, method: 'member_code', created_at: now }).execute();
  return { id, browser, guestId: guest.id };
}
