import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

const LONE_SURROGATES = ['Al\ud800ice', 'Alice\udfff', '\udc00'];
/** Bidirectional controls: embeddings, overrides, isolates and the invisible marks (LRM, RLM, ALM). */
const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'];

/**
 * A lone surrogate cannot be stored as given (it became U+FFFD while the answer echoed it), so it is
 * refused in every text field; bidi controls let a name display as another (U+202E reverses what
 * follows), so they are refused in every name. Both with the usual 400 `validation_failed`.
 */
describe.each(DIALECTS)('names and text as Unicode on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: RelyingParty;
  beforeAll(async () => {
    ({ server, rp: shop } = await startWithShop(dialect));
  });
  afterAll(async () => server?.stop());

  const TEXTS = { sv: { title: 'T', description: 'D', legal_text: 'L' }, en: { title: 'T', description: 'D', legal_text: 'L' } };
  /** Each name field: the call that sets it, with `value` in that field. */
  const NAMES: Array<[string, string | ((n: number) => string), (value: string, n: number) => Record<string, unknown>]> = [
    ['POST', '/customers', (value, n) => ({ email: `n${n}@example.se`, given_name: value })],
    ['POST', '/customers', (value, n) => ({ email: `f${n}@example.se`, family_name: value })],
    ['POST', '/clients', (value) => ({ client_name: value, redirect_uris: ['http://127.0.0.1:9/cb'] })],
    ['PUT', (n) => `/brands/brand${n}`, (value) => ({ name: value, accent_color: '#123456' })],
    ['POST', '/systems', (value, n) => ({ key: `system${n}`, name: value, categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['Delete'] })],
    ['POST', '/api-keys', (value) => ({ name: value, role: 'agent' })],
    ['POST', '/guests', (value, n) => ({ email: `g${n}@example.se`, given_name: value })],
    ['POST', '/consent-purposes', (value, n) => ({ key: `purpose${n}`, texts: { ...TEXTS, sv: { ...TEXTS.sv, title: value } } })],
  ];

  it('refuses a lone surrogate and a bidi control in every name through the API, and takes the same name without them', async () => {
    let n = 0;
    for (const [method, pathOf, body] of NAMES) {
      const at = (n: number) => (typeof pathOf === 'string' ? pathOf : pathOf(n));
      const path = at(0);
      for (const value of [...LONE_SURROGATES, ...BIDI.map((control) => `${control}Alice`), `ecila\u202e.exe`]) {
        const answer = await server.api(method, at(n), body(value, n++));
        expect(answer.status, `${path} ${JSON.stringify(value)}`).toBe(400);
        expect(answer.body.error, `${path} ${JSON.stringify(value)}`).toBe('validation_failed');
      }
      const fine = await server.api(method, at(n), body('Åsa Öberg-Lindén 😀 سارا', n++));
      expect([200, 201], `${path} ${JSON.stringify(fine.body)}`).toContain(fine.status);
    }
  });

  it('refuses a bidi control in the display name of a brand\'s sender', async () => {
    const answer = await server.api('PUT', '/brands/sender', { name: 'Sender', accent_color: '#123456', sender: 'Shop\u202e <shop@example.se>' });
    expect(answer.status).toBe(400);
    expect((await server.api('PUT', '/brands/sender', { name: 'Sender', accent_color: '#123456', sender: 'Shop <shop@example.se>' })).status).toBeLessThan(300);
  });

  it('refuses a bidi control in profile attribute labels and in the lines of an address', async () => {
    const labelled = await server.api('PUT', '/profile-schema/favourite_colour', { type: 'text', labels: { sv: 'Färg\u202e', en: 'Colour' } });
    expect(labelled.status).toBe(400);
    expect(labelled.body.error).toBe('validation_failed');
    expect((await server.api('PUT', '/profile-schema/favourite_colour', { type: 'text', labels: { sv: 'Färg', en: 'Colour' } })).status).toBeLessThan(300);
    const customer = (await server.api('POST', '/customers', { email: 'address@example.se' })).body;
    const address = { street_address: 'Storgatan 1', postal_code: '111 22', locality: 'Stockholm', country: 'SE' };
    for (const spoiled of [{ ...address, street_address: 'Storgatan 1\u202e' }, { ...address, locality: '\u2067Stockholm' }]) {
      const answer = await server.api('PATCH', `/customers/${customer.id}/attributes`, { address: spoiled });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('validation_failed');
    }
    expect((await server.api('PATCH', `/customers/${customer.id}/attributes`, { address })).status).toBe(200);
  });

  it('refuses a lone surrogate in other text fields, but not a bidi control where text is no name', async () => {
    const created = await server.api('POST', '/customers', { email: 'text@example.se', given_name: 'Text' });
    expect((await server.api('PATCH', `/customers/${created.body.id}`, { given_name: 'Te\ud834xt' })).status).toBe(400);
    expect((await server.api('PATCH', `/customers/${created.body.id}`, { family_name: '\u202eevil' })).status).toBe(400);
    const hook = await server.api('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', event_types: ['*'], description: 'bad \ud800' });
    expect(hook.status).toBe(400);
    expect(hook.body.error).toBe('validation_failed');
    // Right-to-left text has its place in a description (an Arabic one with an RLM).
    expect((await server.api('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', event_types: ['*'], description: 'وصف\u200f' })).status).toBe(201);
    expect((await server.api('GET', `/customers/${created.body.id}`)).body).toMatchObject({ given_name: 'Text', family_name: null });
  });

  it('refuses a bidi control in the names on the sign-up form, creating no customer', async () => {
    const agent = new CookieAgent();
    const landing = await agent.follow(await shop.authorizationUrl(), server.url);
    const csrf = csrfOf(await landing.response.text());
    const answer = await agent.postForm(`${landing.url}/email-code`, { csrf, intent: 'sign_up', email: 'spoof@example.se', given_name: 'Eve\u202e', family_name: 'Ok', password: '' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/text\/html/);
    expect((await server.api('GET', '/customers?email=spoof@example.se')).body.customers).toEqual([]);
  });
});
