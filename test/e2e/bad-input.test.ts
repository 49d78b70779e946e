import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapSystems } from '../support/data-map.ts';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { ADMIN_KEY, startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const RUNS = 60;

/** Characters that break naive code: NUL (PostgreSQL refuses it), multi-byte, bidi, quotes, markup. */
const hostileUnit = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('\0', 'é', '😀', '\u202e', '"', "'", '<', '>', '\\', '%', '&', '\n') },
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }) },
);
const hostileText = (maxLength = 300) => fc.string({ unit: hostileUnit, maxLength });
const hostileJson = fc.jsonValue({ stringUnit: hostileUnit });

/** A fingerprint of every row that a management call or a form could write. */
async function snapshot(server: RunningPortvakt): Promise<string> {
  const db = server.portvakt.store.db;
  const rows = await Promise.all([
    db.selectFrom('customers').selectAll().orderBy('id').execute(),
    db.selectFrom('customer_emails').selectAll().orderBy('email').execute(),
    db.selectFrom('credentials').select(['id', 'customer_id', 'type', 'updated_at']).orderBy('id').execute(),
    db.selectFrom('clients').selectAll().orderBy('client_id').execute(),
    db.selectFrom('consent_purposes').selectAll().orderBy('key').execute(),
    db.selectFrom('consent_purpose_versions').select(['purpose_key', 'version']).orderBy('purpose_key').execute(),
    db.selectFrom('consent_records').select(['id']).orderBy('id').execute(),
    db.selectFrom('webhook_subscriptions').select(['id']).orderBy('id').execute(),
    db.selectFrom('data_systems').select(['key', 'version']).orderBy('key').execute(),
    db.selectFrom('customer_references').selectAll().orderBy('customer_id').orderBy('system').execute(),
    db.selectFrom('privacy_requests').select(['id', 'state']).orderBy('id').execute(),
    db.selectFrom('privacy_tasks').select(['id']).orderBy('id').execute(),
    db.selectFrom('connections').select(['key', 'version']).orderBy('key').execute(),
    db.selectFrom('identities').selectAll().orderBy('connection').orderBy('subject').execute(),
  ]);
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

async function send(server: RunningPortvakt, method: string, path: string, body: string | undefined, contentType = 'application/json') {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body,
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', json: text ? (JSON.parse(text) as { error?: string; message?: string }) : undefined };
}

/** Valid bodies to start from; the properties break them in every way. */
const TEXTS = { sv: { title: 'T', description: 'D', legal_text: 'L' }, en: { title: 'T', description: 'D', legal_text: 'L' } };
const VALID = {
  client: { client_name: 'Shop', redirect_uris: [REDIRECT] },
  customer: { email: 'valid@example.se', password: 'a fine passphrase', given_name: 'Val' },
  purpose: { key: 'valid_purpose', texts: TEXTS },
  version: { texts: { ...TEXTS, en: { ...TEXTS.en, title: 'T2' } }, requires_fresh_consent: false },
  decision: { purpose: 'existing_purpose', version: 1, decision: 'granted', channel: 'web', locale: 'en', agent_id: 'agent' },
  webhook: { url: 'http://127.0.0.1:9/hook', event_types: ['*'] },
  system: { key: 'valid_system', name: 'Support', categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['Delete the tickets'] },
  reference: { reference: 'CRM-1' },
  // Meta needs no discovery: a valid body is stored without calling out.
  connection: { key: 'valid_meta', kind: 'meta', client_id: '1234567890', client_secret: 'app-secret', scopes: 'email public_profile', clients: ['shop'], meta: { endpoints: { authorization: 'http://127.0.0.1:9/dialog', token: 'http://127.0.0.1:9/token', me: 'http://127.0.0.1:9/me' } } },
};

describe.each(DIALECTS)('hostile input on %s', (dialect) => {
  let server: RunningPortvakt;
  let clientId: string;
  let customerId: string;
  let routes: Array<{ method: string; path: string; valid: Record<string, unknown> }>;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    clientId = (await server.api('POST', '/clients', { ...VALID.client, first_party: true })).body.client_id;
    customerId = (await server.api('POST', '/customers', { email: 'existing@example.se' })).body.id;
    await mapSystems(server, 'crm');
    await server.api('POST', '/consent-purposes', { key: 'existing_purpose', texts: TEXTS });
    await server.api('POST', '/systems', { ...VALID.system, key: 'existing_system' });
    expect((await server.api('POST', '/connections', { ...VALID.connection, key: 'existing_meta' })).status).toBe(201);
    routes = [
      { method: 'POST', path: '/connections', valid: VALID.connection },
      { method: 'PATCH', path: '/connections/existing_meta', valid: { name: 'Renamed', brands: ['hemma_el'] } },
      { method: 'POST', path: '/systems', valid: VALID.system },
      { method: 'PATCH', path: '/systems/existing_system', valid: { name: 'Renamed' } },
      { method: 'PUT', path: `/customers/${customerId}/references/crm`, valid: VALID.reference },
      { method: 'POST', path: '/privacy-requests', valid: { customer_id: customerId, kind: 'export', verification: 'ID checked' } },
      { method: 'POST', path: '/consent-purposes', valid: VALID.purpose },
      { method: 'POST', path: '/consent-purposes/existing_purpose/versions', valid: VALID.version },
      { method: 'POST', path: `/customers/${customerId}/consents`, valid: VALID.decision },
      { method: 'POST', path: '/webhooks', valid: VALID.webhook },
      { method: 'POST', path: '/clients', valid: VALID.client },
      { method: 'PATCH', path: `/clients/${clientId}`, valid: { client_name: 'Renamed' } },
      { method: 'POST', path: '/customers', valid: VALID.customer },
      { method: 'PATCH', path: `/customers/${customerId}`, valid: { given_name: 'New' } },
    ];
  });
  afterAll(() => server?.stop());

  it('answers arbitrary JSON bodies with a 4xx JSON error and writes nothing', async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(hostileJson, async (value) => {
          const before = await snapshot(server);
          const answer = await send(server, route.method, route.path, JSON.stringify(value));
          if (answer.status < 300) return; // e.g. {} is a valid, empty PATCH
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.status).toBeLessThan(500);
          expect(answer.json?.error).toMatch(/^[a-z_]+$/);
          expect(await snapshot(server)).toBe(before);
        }),
        { numRuns: RUNS },
      );
    }
  });

  it('refuses unknown fields and wrong types on every body with 400 and writes nothing', async () => {
    for (const route of routes) {
      // Fields that take text, yes/no or a list: numbers, objects and number lists are always wrong there.
      const knownKeys = Object.keys(route.valid).filter((key) => ['string', 'boolean'].includes(typeof route.valid[key]) || Array.isArray(route.valid[key]));
      await fc.assert(
        fc.asyncProperty(
          fc.string({ minLength: 1, maxLength: 20 }).filter((key) => !['email', 'password', 'given_name', 'family_name', 'locale', 'email_verified', 'status', 'client_name', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'token_endpoint_auth_method', 'application_type', 'scope', 'first_party', 'key', 'texts', 'required', 'brand', 'requires_fresh_consent', 'purpose', 'version', 'decision', 'channel', 'agent_id', 'url', 'event_types', 'description', 'phone_number', 'phone_number_verified', 'name', 'categories', 'legal_basis', 'retention', 'access', 'endpoint', 'checklist', 'reference', 'customer_id', 'kind', 'verification', 'client_id', 'client_secret', 'scopes', 'trust_email_verified', 'enabled', 'clients', 'brands', 'apple', 'microsoft', 'meta', 'issuer', '__proto__'].includes(key)),
          // Prototype-poisoning keys are refused by the JSON parser itself; tested on their own below.
          hostileJson.filter((value) => !/"(__proto__|constructor)":/.test(JSON.stringify(value))),
          fc.constantFrom(...knownKeys),
          fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.dictionary(fc.string().filter((key) => key !== '__proto__' && key !== 'constructor'), fc.integer()), fc.array(fc.integer(), { minLength: 1 })),
          async (unknownKey, unknownValue, typedKey, wrongValue) => {
            const before = await snapshot(server);
            const extra = await send(server, route.method, route.path, JSON.stringify({ ...route.valid, [unknownKey]: unknownValue }));
            expect(extra.status).toBe(400);
            expect(extra.json?.error).toBe('unknown_field');
            const mistyped = await send(server, route.method, route.path, JSON.stringify({ ...route.valid, [typedKey]: wrongValue }));
            expect(mistyped.status).toBe(400);
            expect(mistyped.json?.error).toBe('validation_failed');
            expect(await snapshot(server)).toBe(before);
          },
        ),
        { numRuns: RUNS / 2 },
      );
    }
  });

  it('refuses malformed JSON, missing bodies, 1 MB bodies and other media types', async () => {
    const before = await snapshot(server);
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(
          fc.string({ maxLength: 200 }).filter((text) => {
            try {
              JSON.parse(text);
              return false;
            } catch {
              return text.trim() !== '';
            }
          }),
          async (text) => {
            const answer = await send(server, route.method, route.path, text);
            expect(answer.status).toBe(400);
            expect(answer.json?.error).toBe('invalid_json');
          },
        ),
        { numRuns: RUNS / 2 },
      );
      for (const poisoned of ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
        const answer = await send(server, route.method, route.path, poisoned);
        expect(answer.status).toBe(400);
        expect(answer.json?.error).toBe('invalid_json');
      }
      const missing = await send(server, route.method, route.path, undefined);
      expect(missing.status).toBe(400);
      const huge = await send(server, route.method, route.path, JSON.stringify({ ...route.valid, client_name: 'x'.repeat(1024 * 1024) }));
      expect(huge.status).toBe(413);
      expect(huge.json?.error).toBe('payload_too_large');
      const form = await send(server, route.method, route.path, 'client_name=x', 'application/x-www-form-urlencoded');
      expect(form.status).toBe(415);
      const text = await send(server, route.method, route.path, '{}', 'text/plain');
      expect(text.status).toBe(415);
    }
    expect(await snapshot(server)).toBe(before);
  });

  it('answers hostile path and query values with a 4xx, and deletes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText().filter((value) => value.length > 0), async (value) => {
        const encoded = encodeURIComponent(value);
        const before = await snapshot(server);
        for (const path of [`/customers/${encoded}`, `/clients/${encoded}`, `/customers?email=${encoded}`, `/customers?limit=${encoded}`, `/clients?${encoded}=1`]) {
          const answer = await send(server, 'GET', path, undefined);
          expect(answer.status, path).toBeLessThan(500);
          expect(answer.type).toMatch(/json/);
        }
        for (const path of [`/customers/${encoded}`, `/clients/${encoded}`]) {
          const answer = await send(server, 'DELETE', path, undefined);
          expect(answer.status, path).toBeGreaterThanOrEqual(400);
          expect(answer.status, path).toBeLessThan(500);
        }
        expect(await snapshot(server)).toBe(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses NUL in every text field with 400 instead of failing in the database', async () => {
    const before = await snapshot(server);
    for (const route of routes) {
      for (const key of Object.keys(route.valid)) {
        const answer = await send(server, route.method, route.path, JSON.stringify({ ...route.valid, [key]: Array.isArray(route.valid[key]) ? ['http://a\0b/'] : 'a\0b' }));
        expect(answer.status, `${route.method} ${route.path} ${key}`).toBe(400);
      }
    }
    for (const path of ['/clients/a%00b', '/customers?email=a%00b@example.se']) expect((await send(server, 'GET', path, undefined)).status).toBeLessThan(500);
    for (const url of [`${server.url}/auth?client_id=a%00b&response_type=code&scope=openid`, `${server.url}/jwks`]) expect((await fetch(url, { redirect: 'manual' })).status).toBeLessThan(500);
    const token = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('a\0b:x').toString('base64')}` },
      body: 'grant_type=refresh_token&refresh_token=a%00b',
    });
    expect(token.status).toBeGreaterThanOrEqual(400);
    expect(token.status).toBeLessThan(500);
    expect(await snapshot(server)).toBe(before);
  });

  it('answers hostile hosted-form posts with a 4xx page and creates no customer', async () => {
    const created = (await server.api('POST', '/clients', { ...VALID.client, first_party: true })).body;
    const rp = await RelyingParty.discover(server.url, created.client_id, created.client_secret, REDIRECT);
    const agent = new CookieAgent();
    const page = await agent.follow(await rp.authorizationUrl(), server.url);
    const csrf = csrfOf(await page.response.text());
    const before = await snapshot(server);
    const fieldNames = fc.constantFrom('csrf', 'email', 'password', 'given_name', 'family_name', 'decision', 'intent', 'code', 'ticket', 'extra', 'email[]', 'connection');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('password', 'email-code', 'email-code/verify', 'forgot', 'forgot/verify', 'reset', 'mfa', 'mfa/enrol', 'mfa/continue', 'consent', 'upstream', 'upstream/confirm'),
        fc.dictionary(fieldNames, fc.oneof(hostileText(), fc.constant('a'.repeat(2000)))),
        fc.boolean(),
        async (step, fields, withCsrf) => {
          const body = withCsrf ? { ...fields, csrf } : fields;
          const response = await agent.postForm(`${page.url}/${step}`, body);
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          expect(response.headers.get('content-type')).toMatch(/text\/html/);
        },
      ),
      { numRuns: RUNS },
    );
    // The upstream callback, as a query or a form_post, with anything in it: a 4xx, or a redirect to a sign-in path only.
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('code', 'state', 'iss', 'error', 'user', 'id_token', 'extra'), fc.oneof(hostileText(), fc.constant(`${page.url.split('/').pop()}.${'A'.repeat(43)}`))), fc.boolean(), async (fields, asForm) => {
        const response = asForm
          ? await agent.postForm(`${server.url}/login/upstream/callback/existing_meta`, fields)
          : await agent.request(`${server.url}/login/upstream/callback/existing_meta?${new URLSearchParams(fields as Record<string, string>).toString()}`);
        // A query goes on to the sign-in's own path; a post is held only when it matches a sign-in in progress (none here).
        if (response.status === 303 && !asForm) expect(response.headers.get('location')).toMatch(/^\/login\/[A-Za-z0-9_-]+\/upstream\/return\/existing_meta\?/);
        else expect([400, 413]).toContain(response.status);
      }),
      { numRuns: RUNS },
    );
    for (const forged of ['é'.repeat(43), 'é'.repeat(22), `${csrf.slice(0, 42)}é`, '']) {
      const answer = await agent.postForm(`${page.url}/password`, { csrf: forged, email: 'a@example.se', password: 'whatever it is' });
      expect(answer.status).toBe(403);
    }
    const huge = await agent.postForm(`${page.url}/email-code`, { csrf, email: 'big@example.se', password: 'x'.repeat(1024 * 1024) });
    expect(huge.status).toBe(413);
    const json = await agent.request(`${page.url}/email-code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    expect(await snapshot(server)).toBe(before);
  });

  it('answers hostile posts on the account pages and verification links with a 4xx (or a plain redirect), writing nothing', async () => {
    const who = { email: 'hostile-account@example.se', password: 'an ordinary passphrase' };
    await server.api('POST', '/customers', who);
    const agent = new CookieAgent();
    const landed = await agent.authorize(`${server.url}/account/security`, server.url, who);
    expect(landed).toBe(`${server.url}/account/security`);
    const csrf = csrfOf(await (await agent.request(landed)).text());
    const before = await snapshot(server);
    const paths = fc.constantFrom(
      '/account/security/totp',
      '/account/security/totp/disable',
      '/account/security/recovery-codes',
      '/account/security/passkeys',
      '/account/security/passkeys/options',
      '/account/security/passkeys/%00/remove',
      '/account/security/sessions/..%2f..%2fx/end',
      '/account/security/sessions/nope/end',
      '/account/verify-email',
      '/account/verify-email/send',
      '/account/phone',
      '/account/phone/verify',
      '/account/phone/remove',
      '/account/connections/existing_meta/remove',
      '/account/connections/%00/remove',
      '/account/connections/..%2f/remove',
    );
    const fieldNames = fc.constantFrom('csrf', 'code', 'ticket', 'response', 'phone', 'extra', 'code[]');
    await fc.assert(
      fc.asyncProperty(paths, fc.dictionary(fieldNames, fc.oneof(hostileText(), fc.constant('{"id":1}'), fc.constant('a'.repeat(20_000)))), fc.boolean(), async (path, fields, withCsrf) => {
        const response = await agent.postForm(`${server.url}${path}`, withCsrf ? { ...fields, csrf } : fields);
        // Asking for passkey options with exactly a valid CSRF token is a proper request.
        // (A generated csrf field is replaced by the valid token, so it makes no difference.)
        const proper = path.endsWith('/options') && withCsrf && Object.keys(fields).every((name) => name === 'csrf');
        expect(proper ? [200] : [303, 400, 403, 404, 409, 413, 429]).toContain(response.status);
        if (response.status !== 303) expect(response.headers.get('content-type')).toMatch(/text\/html|application\/json/);
      }),
      { numRuns: RUNS },
    );
    for (const token of ['', '%00', 'a'.repeat(500), 'A'.repeat(43), '../../etc/passwd']) {
      expect((await fetch(`${server.url}/verify-email?token=${token}`)).status).toBe(400);
    }
    expect(await snapshot(server)).toBe(before);
  });

  it('answers a Host that is no authority, and device steps without their browser session, with a 400 (found by the flood benchmark as 500s)', async () => {
    const { request } = await import('node:http');
    const port = new URL(server.url).port;
    const withHost = (path: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const sent = request({ host: '127.0.0.1', port, path, headers: { host } }, (answer) => {
          answer.resume();
          resolve(answer.statusCode!);
        });
        sent.on('error', reject);
        sent.end();
      });
    for (const path of ['/.well-known/openid-configuration', '/session/end', '/device', '/auth?client_id=x']) {
      for (const host of ['evil.example:99999', '[::1', 'x:abc']) expect(await withHost(path, host)).toBe(400);
    }
    for (const path of ['/device/abc', '/device/%00']) expect((await fetch(`${server.url}${path}`)).status).toBe(400);
    const posted = await fetch(`${server.url}/device`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user_code=ABCD-EFGH' });
    expect(posted.status).toBe(400);
    expect(posted.headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${server.url}/device`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user_code":[1]}' })).status).toBe(400);
  });
});
