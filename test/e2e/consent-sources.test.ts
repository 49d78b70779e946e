import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentLedger } from '../../src/consent/consent-ledger.ts';
import { ConsentPurposes } from '../../src/consent/consent-purposes.ts';
import { AuditLog } from '../../src/events/audit-log.ts';
import { consoleOperator } from '../support/console-operator.ts';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { englishWordsIn } from '../support/english-words.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

const texts = (sv: string, en: string) => ({
  sv: { title: sv, description: `Vi använder ${sv.toLowerCase()}.`, legal_text: `Villkor för ${sv.toLowerCase()}.` },
  en: { title: en, description: `We use ${en.toLowerCase()}.`, legal_text: `Terms of ${en.toLowerCase()}.` },
});
const DAY = 86_400_000;
const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * Consent recorded by another platform (a consent-management platform): through an integration key
 * allowed the consent capability for named purposes, each decision carrying its source. The later
 * capture time wins; an older decision arriving late is kept in the ledger as history and changes
 * nothing. The ledger, /account/consents, the export and the audience show the source.
 */
describe.each(DIALECTS)('consent decisions from another platform on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  const keys: Record<string, string> = {};
  const as = async (key: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${keys[key]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const rows = async () => (await server.portvakt.store.db.selectFrom('consent_records').select('id').execute()).length;
  const customer = async (email: string, password?: string) => (await server.api('POST', '/customers', { email, ...(password ? { password } : {}) })).body.id as string;
  const platform = (purpose: string, decision: string, recordId: string, capturedAt: number | string, extra: Record<string, unknown> = {}) => ({
    purpose,
    version: 1,
    decision,
    channel: 'web',
    locale: 'sv',
    source: { platform: 'Didomi', record_id: recordId, captured_at: capturedAt, ...extra },
  });
  const stateOf = async (id: string, purpose: string) => (await server.api('GET', `/customers/${id}/consents`)).body.consents.find((entry: { purpose: string }) => entry.purpose === purpose);

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect));
    for (const [key, sv, en] of [['profiling', 'Anpassade erbjudanden', 'Tailored offers'], ['newsletter', 'Nyhetsbrev', 'Newsletter']]) {
      expect((await server.api('POST', '/consent-purposes', { key, texts: texts(sv!, en!) })).status).toBe(201);
    }
    const create = async (name: string, body: Record<string, unknown>) => {
      const created = await server.api('POST', '/api-keys', { name, role: 'integration', ...body });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      keys[name] = created.body.key;
      return created.body;
    };
    expect(await create('cmp', { systems: ['cmp'], consent_purposes: ['profiling', 'newsletter'] })).toMatchObject({ consent_purposes: ['profiling', 'newsletter'] });
    await create('newsletter-only', { systems: ['cmp'], consent_purposes: ['newsletter'] });
    expect(await create('crm', { systems: ['crm'] })).toMatchObject({ consent_purposes: null });
  });
  afterAll(() => server?.stop());

  it('gives the consent capability to integration keys only', async () => {
    for (const role of ['agent', 'admin', 'privacy_officer']) {
      expect(await server.api('POST', '/api-keys', { name: 'x', role, consent_purposes: ['profiling'] })).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    }
    expect((await server.api('POST', '/api-keys', { name: 'x', role: 'integration', systems: ['cmp'], consent_purposes: ['Not a key'] })).status).toBe(400);
    const listed = (await server.api('GET', '/api-keys')).body.api_keys.map((key: { name: string; consent_purposes: string[] | null }) => [key.name, key.consent_purposes]);
    expect(listed).toEqual([
      ['cmp', ['profiling', 'newsletter']],
      ['newsletter-only', ['newsletter']],
      ['crm', null],
    ]);
  });

  it('gives and shows the consent capability in the console', async () => {
    const admin = await consoleOperator(server, { email: 'keys-admin@example.se', roles: ['admin'] });
    const created = await admin.post('/console/api-keys/new', { name: 'Didomi', role: 'integration', systems: 'cmp', consent_purposes: 'profiling, newsletter' });
    expect(created.status, created.html.slice(0, 1500)).toBe(201);
    const stored = (await server.api('GET', '/api-keys')).body.api_keys.find((key: { name: string }) => key.name === 'Didomi');
    expect(stored).toMatchObject({ role: 'integration', systems: ['cmp'], consent_purposes: ['profiling', 'newsletter'] });
    expect((await admin.page(`/console/api-keys/${stored.id}`)).html).toContain('profiling, newsletter');
    const refused = await admin.post('/console/api-keys/new', { name: 'X', role: 'agent', systems: '', consent_purposes: 'profiling' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Only integration keys may record consent.');
  });

  it('lets the later capture win: an older decision arriving late is kept as history and changes nothing; both show their source', async () => {
    const who = { email: 'platform@example.se', password: 'a passphrase for platform consent' };
    const id = await customer(who.email, who.password);
    const first = Date.now() - 30 * DAY;
    const granted = await as('cmp', 'POST', `/customers/${id}/consents`, platform('profiling', 'granted', 'didomi-1', new Date(first).toISOString(), { proof: 'CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA' }));
    expect(granted).toEqual({ status: 201, body: { recorded: true, counted: true, duplicate: false } });
    expect(await stateOf(id, 'profiling')).toMatchObject({ state: 'granted', effective: true, decided_at: seconds(first) });

    // The customer withdraws through customer service, today.
    expect((await server.api('POST', `/customers/${id}/consents`, { purpose: 'profiling', version: 1, decision: 'withdrawn', channel: 'phone', locale: 'sv', agent_id: 'agent-3' })).status).toBe(201);
    const audited = async () => (await server.portvakt.store.db.selectFrom('audit_log').select(['action', 'details']).where('subject_id', '=', id).orderBy('seq').execute()).map((entry) => entry.action);
    const before = await audited();

    // A grant captured before the withdrawal, arriving after it: history only.
    const late = first + DAY;
    expect(await as('cmp', 'POST', `/customers/${id}/consents`, platform('profiling', 'granted', 'didomi-2', seconds(late)))).toEqual({ status: 201, body: { recorded: true, counted: false, duplicate: false } });
    expect(await stateOf(id, 'profiling')).toMatchObject({ state: 'withdrawn', effective: false });
    expect((await server.api('GET', '/consent-purposes/profiling/customers')).body.customers).not.toContain(id);
    expect((await audited()).slice(before.length)).toEqual(['consent.recorded_late']);
    const lateEntry = await server.portvakt.store.db.selectFrom('audit_log').select(['actor_id', 'details']).where('action', '=', 'consent.recorded_late').where('subject_id', '=', id).executeTakeFirstOrThrow();
    expect(JSON.parse(lateEntry.details)).toEqual({ purpose: 'profiling', version: 1, decision: 'granted', platform: 'Didomi', record_id: 'didomi-2' });
    const events = await server.portvakt.store.db.selectFrom('events').select('type').where('customer_id', '=', id).where('type', 'like', 'consent.%').execute();
    expect(events.map((event) => event.type).sort()).toEqual(['consent.granted', 'consent.withdrawn']);

    // A decision captured after the withdrawal: it counts.
    const newer = Date.now();
    expect((await as('cmp', 'POST', `/customers/${id}/consents`, platform('profiling', 'granted', 'didomi-3', new Date(newer).toISOString()))).body).toMatchObject({ counted: true });
    expect(await stateOf(id, 'profiling')).toMatchObject({ state: 'granted', effective: true, decided_at: seconds(newer) });

    const history = (await server.api('GET', `/customers/${id}/consents`)).body.history;
    expect(history.map((entry: { decision: string; counted: boolean; source: { record_id: string } | null }) => [entry.decision, entry.counted, entry.source?.record_id ?? null])).toEqual([
      ['granted', true, 'didomi-3'],
      ['granted', false, 'didomi-2'],
      ['withdrawn', true, null],
      ['granted', true, 'didomi-1'],
    ]);
    expect(history[3]).toMatchObject({ actor_type: 'customer', actor_id: id, source: { platform: 'Didomi', record_id: 'didomi-1', captured_at: seconds(first), proof: 'CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA' } });
    expect(history[1].source).toEqual({ platform: 'Didomi', record_id: 'didomi-2', captured_at: seconds(late), proof: null });

    // The customer sees where each decision came from, in plain words, in both languages.
    const day = (locale: string, ms: number) => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'Europe/Stockholm' }).format(ms);
    const swedish = new CookieAgent({ 'accept-language': 'sv-SE,sv;q=0.9' });
    expect(await swedish.authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    const sv = await (await swedish.follow(`${server.url}/account/consents`, server.url)).response.text();
    expect(sv).toContain(`Registrerat av Didomi den ${day('sv-SE', first)}.`);
    expect(sv).toContain(`Registrerat av Didomi den ${day('sv-SE', late)}.`);
    expect(sv).toContain('Ett tidigare beslut som kom fram senare: det ändrar ingenting.');
    expect(englishWordsIn(sv)).toEqual([]);
    const english = new CookieAgent({ 'accept-language': 'en' });
    expect(await english.authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    const en = await (await english.follow(`${server.url}/account/consents`, server.url)).response.text();
    expect(en).toContain(`Recorded by Didomi on ${day('en-GB', newer)}.`);
    expect(en).toContain('An earlier decision that arrived later: it changes nothing.');

    // The export carries the source beside each decision.
    const db = server.portvakt.store.db;
    const audit = new AuditLog(db);
    const ledger = new ConsentLedger({ db, purposes: new ConsentPurposes(db, audit), audit, events: {} as never, ipKey: Buffer.alloc(32) });
    const exported = await ledger.exportOf({ id } as never, db);
    expect(exported.consent_history!.find((entry) => (entry as { source: { record_id: string } | null }).source?.record_id === 'didomi-2')).toMatchObject({ counted: false, source: { platform: 'Didomi', record_id: 'didomi-2', captured_at: new Date(seconds(late) * 1000).toISOString(), proof: null } });
  });

  it('refuses a key without the consent capability, or without the purpose, and agent fields from a platform; nothing is written', async () => {
    const id = await customer('refused-platform@example.se');
    const before = await rows();
    const decision = platform('profiling', 'granted', 'refused-1', seconds(Date.now()));
    expect(await as('crm', 'POST', `/customers/${id}/consents`, decision)).toMatchObject({ status: 403, body: { error: 'forbidden', message: expect.stringContaining('consent capability') } });
    expect(await as('newsletter-only', 'POST', `/customers/${id}/consents`, decision)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await as('newsletter-only', 'POST', '/consents/batch', { decisions: [{ customer_id: id, ...decision }] })).toMatchObject({ status: 403, body: { details: { index: 0 } } });
    expect(await as('cmp', 'POST', `/customers/${id}/consents`, { ...decision, agent_id: 'agent-1' })).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    const { source: _, ...unsourced } = decision;
    expect(await as('cmp', 'POST', `/customers/${id}/consents`, unsourced)).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect(await server.api('POST', `/customers/${id}/consents`, { ...decision, agent_id: undefined })).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect(await rows()).toBe(before);
    // The newsletter is that key's to record.
    expect((await as('newsletter-only', 'POST', `/customers/${id}/consents`, platform('newsletter', 'granted', 'refused-2', seconds(Date.now())))).status).toBe(201);
  });

  it('stores a platform record once: the same record id again answers a duplicate', async () => {
    const id = await customer('duplicate@example.se');
    const decision = platform('newsletter', 'granted', 'didomi-dup', seconds(Date.now() - DAY));
    expect((await as('cmp', 'POST', `/customers/${id}/consents`, decision)).body).toEqual({ recorded: true, counted: true, duplicate: false });
    const before = await rows();
    expect(await as('cmp', 'POST', `/customers/${id}/consents`, decision)).toEqual({ status: 201, body: { recorded: true, counted: true, duplicate: true } });
    expect(await as('cmp', 'POST', `/customers/${id}/consents`, { ...decision, decision: 'withdrawn' })).toMatchObject({ body: { duplicate: true } });
    expect(await rows()).toBe(before);
    expect(await stateOf(id, 'newsletter')).toMatchObject({ state: 'granted' });
  });

  it('records a batch in one transaction: one bad item writes nothing and names its index', async () => {
    const ids = [await customer('batch-1@example.se'), await customer('batch-2@example.se'), await customer('batch-3@example.se')];
    const at = seconds(Date.now() - DAY);
    const item = (i: number, extra: Record<string, unknown> = {}) => ({ customer_id: ids[i], ...platform('newsletter', 'granted', `batch-${i}`, at), ...extra });
    const before = await rows();
    const refusals: Array<[unknown, number, string]> = [
      [{ ...item(2), version: 9 }, 400, 'wrong_version'],
      [{ ...item(2), customer_id: '00000000-0000-4000-8000-000000000000' }, 404, 'not_found'],
      [item(2, { source: { platform: 'Didomi', record_id: 'batch-2', captured_at: seconds(Date.now() + 10 * 60_000) } }), 400, 'captured_in_future'],
    ];
    for (const [bad, status, error] of refusals) {
      expect(await as('cmp', 'POST', '/consents/batch', { decisions: [item(0), item(1), bad] }), error).toMatchObject({ status, body: { error, details: { index: 2 } } });
    }
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ ...item(0), source: { platform: 'Didomi', record_id: `many-${i}`, captured_at: at } }));
    expect(await as('cmp', 'POST', '/consents/batch', { decisions: tooMany })).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect(await rows()).toBe(before);

    const recorded = await as('cmp', 'POST', '/consents/batch', { decisions: [item(0), item(1), item(2), item(0)] });
    expect(recorded).toEqual({ status: 201, body: { recorded: 3, counted: 3, duplicates: 1, results: [{ counted: true, duplicate: false }, { counted: true, duplicate: false }, { counted: true, duplicate: false }, { counted: true, duplicate: true }] } });
    expect(await rows()).toBe(before + 3);
    for (const id of ids) expect(await stateOf(id, 'newsletter')).toMatchObject({ state: 'granted', effective: true });
  });

  it('refuses a capture time in the future beyond a minute, and accepts a decision on an earlier version', async () => {
    const id = await customer('future@example.se');
    const before = await rows();
    expect(await as('cmp', 'POST', `/customers/${id}/consents`, platform('profiling', 'granted', 'future-1', seconds(Date.now() + 5 * 60_000)))).toMatchObject({ status: 400, body: { error: 'captured_in_future' } });
    expect(await as('cmp', 'POST', `/customers/${id}/consents`, platform('profiling', 'granted', 'future-2', 'not a time'))).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect(await rows()).toBe(before);
    expect((await as('cmp', 'POST', `/customers/${id}/consents`, platform('profiling', 'granted', 'future-3', seconds(Date.now() + 20_000)))).status).toBe(201);

    const v2 = await server.api('POST', '/consent-purposes/newsletter/versions', { texts: texts('Nyhetsbrev varje vecka', 'Weekly newsletter'), requires_fresh_consent: false });
    expect(v2.body).toMatchObject({ version: 2 });
    const v1Hash = (await server.portvakt.store.db.selectFrom('consent_purpose_versions').select('text_hash').where('purpose_key', '=', 'newsletter').where('version', '=', 1).executeTakeFirstOrThrow()).text_hash;
    expect((await as('cmp', 'POST', `/customers/${id}/consents`, platform('newsletter', 'declined', 'old-version', seconds(Date.now() - DAY)))).status).toBe(201);
    expect((await server.api('GET', `/customers/${id}/consents`)).body.history[0]).toMatchObject({ version: 1, text_hash: v1Hash, decision: 'declined' });
    expect(await as('cmp', 'POST', `/customers/${id}/consents`, { ...platform('newsletter', 'declined', 'no-version', seconds(Date.now())), version: 9 })).toMatchObject({ status: 400, body: { error: 'wrong_version' } });
  });

  it('shows in the audience, on request, which platform record decided', async () => {
    const local = await customer('audience-local@example.se');
    const remote = await customer('audience-remote@example.se');
    const captured = seconds(Date.now() - 2 * DAY);
    await server.api('POST', `/customers/${local}/consents`, { purpose: 'profiling', version: 1, decision: 'granted', channel: 'phone', locale: 'sv', agent_id: 'agent-3' });
    await as('cmp', 'POST', `/customers/${remote}/consents`, platform('profiling', 'granted', 'audience-1', captured));
    // A late withdrawal older than the grant changes nothing: the customer stays in the audience.
    expect((await as('cmp', 'POST', `/customers/${remote}/consents`, platform('profiling', 'withdrawn', 'audience-0', captured - 60))).body).toMatchObject({ counted: false });

    const plain = (await server.api('GET', '/consent-purposes/profiling/customers?limit=5000')).body;
    expect(plain.customers).toEqual(expect.arrayContaining([local, remote]));
    expect(plain).not.toHaveProperty('sources');
    const withSource = (await server.api('GET', '/consent-purposes/profiling/customers?limit=5000&with_source=true')).body;
    expect(withSource.customers).toEqual(plain.customers);
    expect(withSource.next).toBe(plain.next);
    expect(withSource.sources).toContainEqual({ customer_id: remote, platform: 'Didomi', record_id: 'audience-1', captured_at: captured });
    expect(withSource.sources.map((source: { customer_id: string }) => source.customer_id)).not.toContain(local);
  });
});
