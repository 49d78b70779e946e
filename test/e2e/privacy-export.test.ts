import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TableDeclaration } from '../../src/customers/customer-data.ts';
import { PORTVAKT_SECTIONS } from '../../src/privacy/export-format.ts';
import type { Database } from '../../src/store/schema.ts';
import { untilRequest } from '../support/privacy-request-wait.ts';
import { DIALECTS } from '../support/databases.ts';
import { waitForMessage } from '../support/dev-outbox.ts';
import { schemaProblems } from '../support/json-schema-check.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import { startPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { prepareRichCustomers, RICH_ADDRESS, richCustomer } from '../support/rich-customer.ts';

type Db = Kysely<Database>;
type Row = Record<string, any>;
type Task = { id: string; system: string; state: string };
type Request = { id: string; state: string; tasks: Task[] };

const iso = (value: unknown) => (value === null ? null : new Date(Number(value)).toISOString());

/**
 * How a table included in the export is checked against the database: the customer's rows there
 * (as of the export), and what identifies a row in the database and in the export's section.
 */
interface ExportedTable {
  rows(db: Db, customerId: string, part: Row): Promise<Row[]>;
  key(row: Row): string;
  /** The entry's key, or undefined when the entry stands for no row (the profile of a customer without a phone). */
  exported(entry: Row): string | undefined;
}

const byCustomer = (table: keyof Database, column: string) => async (db: Db, customerId: string) => (await sql<Row>`select * from ${sql.table(table)} where ${sql.ref(column)} = ${customerId}`.execute(db)).rows;
const requestsOf = (db: Db, customerId: string) => db.selectFrom('privacy_requests').select('id').where('customer_id', '=', customerId);

const TABLES: Record<string, ExportedTable> = {
  customers: { rows: byCustomer('customers', 'id'), key: (row) => row.id, exported: (profile) => profile.id },
  customer_emails: { rows: byCustomer('customer_emails', 'customer_id'), key: (row) => row.email, exported: (profile) => profile.email },
  customer_phones: { rows: byCustomer('customer_phones', 'customer_id'), key: (row) => row.phone, exported: (profile) => profile.phone_number ?? undefined },
  credentials: { rows: byCustomer('credentials', 'customer_id'), key: (row) => `${row.type} ${iso(row.created_at)}`, exported: (entry) => `${entry.type} ${entry.created_at}` },
  identities: { rows: byCustomer('identities', 'customer_id'), key: (row) => `${row.connection} ${row.subject}`, exported: (entry) => `${entry.connection} ${entry.subject}` },
  customer_references: { rows: byCustomer('customer_references', 'customer_id'), key: (row) => `${row.system} ${row.reference}`, exported: (entry) => `${entry.system} ${entry.reference}` },
  session_devices: { rows: byCustomer('session_devices', 'account_id'), key: (row) => `${row.user_agent} ${iso(row.created_at)}`, exported: (entry) => `${entry.device} ${entry.created_at}` },
  consent_records: {
    rows: byCustomer('consent_records', 'customer_id'),
    key: (row) => `${row.purpose_key} ${row.version} ${row.decision} ${iso(row.recorded_at)}`,
    exported: (entry) => `${entry.purpose} ${entry.version} ${entry.decision} ${entry.recorded_at}`,
  },
  customer_attributes: { rows: byCustomer('customer_attributes', 'customer_id'), key: (row) => `${row.key}=${JSON.stringify(JSON.parse(row.value))}`, exported: (entry) => `${entry.key}=${JSON.stringify(entry.value)}` },
  guests: { rows: byCustomer('guests', 'claimed_by'), key: (row) => `${row.id} ${row.order_references}`, exported: (entry) => `${entry.id} ${JSON.stringify(entry.order_references)}` },
  customer_orders: { rows: byCustomer('customer_orders', 'customer_id'), key: (row) => `${row.reference} ${row.guest_id}`, exported: (entry) => `${entry.reference} ${entry.guest_checkout}` },
  caller_verifications: { rows: byCustomer('caller_verifications', 'customer_id'), key: (row) => `${row.id} ${row.channel}`, exported: (entry) => `${entry.id} ${entry.channel}` },
  customer_signals: { rows: byCustomer('customer_signals', 'customer_id'), key: (row) => `${row.system} ${row.event_id}`, exported: (entry) => `${entry.system} ${entry.event_id}` },
  segment_members: { rows: byCustomer('segment_members', 'customer_id'), key: (row) => row.segment_key, exported: (entry) => entry.segment },
  store_visits: { rows: byCustomer('store_visits', 'customer_id'), key: (row) => `${row.store} ${row.method}`, exported: (entry) => `${entry.store} ${entry.method}` },
  customer_brands: { rows: byCustomer('customer_brands', 'customer_id'), key: (row) => row.brand, exported: (entry) => entry.brand },
  privacy_requests: { rows: byCustomer('privacy_requests', 'customer_id'), key: (row) => `${row.id} ${row.kind}`, exported: (entry) => `${entry.id} ${entry.kind}` },
  privacy_tasks: {
    rows: (db, customerId) => db.selectFrom('privacy_tasks').selectAll().where('request_id', 'in', requestsOf(db, customerId)).execute(),
    key: (row) => `${row.id} ${row.system}`,
    exported: (entry) => `${entry.id} ${entry.system}`,
  },
  audit_log: {
    // Entries written after the export was made (its completion, say) are not in it.
    rows: (db, customerId, part) =>
      db
        .selectFrom('audit_log')
        .selectAll()
        .where((eb) => eb.or([eb.and([eb('subject_type', '=', 'customer'), eb('subject_id', '=', customerId)]), eb.and([eb('subject_type', '=', 'privacy_request'), eb('subject_id', 'in', requestsOf(db, customerId))])]))
        .where('seq', '<=', Math.max(0, ...part.audit_entries.map((entry: Row) => entry.seq)))
        .execute(),
    key: (row) => `${row.seq} ${row.action}`,
    exported: (entry) => `${entry.seq} ${entry.action}`,
  },
};

/**
 * A customer who used every feature (a guest checkout claimed at sign-up, with orders; password,
 * names, phone, address, birthdate and a custom attribute; a linked identity; a reference into a
 * mapped system; consents; a session at a brand; a caller verification) asks for an export. The
 * archive holds, table by table as the declarations say, exactly the customer's rows in the
 * database, no secret, and matches the published JSON Schema.
 */
describe.each(DIALECTS)('an export holds everything Portvakt has about the customer, on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  let db: Db;
  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);

  const until = (id: string, done: (request: Request) => boolean, timeoutMs?: number) => untilRequest<Request>(server, id, done, timeoutMs);

  beforeAll(async () => {
    server = await startPortvakt(dialect, { OUTBOX_POLL_MS: '100' });
    db = server.portvakt.store.db;
    rp = await prepareRichCustomers(server);
  });
  afterAll(() => server?.stop());

  it('exports every row of every included table, in its declared section, without secrets, as the published schema says', async () => {
    const email = `everything-${dialect}@example.se`;
    const { id, browser, guestId } = await richCustomer(server, rp, email);
    expect((await api('GET', `/customers/${id}/orders`)).body.orders).toHaveLength(2);
    const phone = (await api('GET', `/customers/${id}`)).body.phone_number as string;

    const created = await api<Request>('POST', '/privacy-requests', { customer_id: id, kind: 'export', verification: 'ID checked in store' });
    expect(created.status).toBe(201);
    const waiting = await until(created.body.id, (current) => current.tasks.some((task) => task.system === 'crm' && task.state === 'waiting_operator') && current.tasks.some((task) => task.system === 'portvakt' && task.state === 'done'));
    const crmTask = waiting.tasks.find((task) => task.system === 'crm')!;
    expect((await api('POST', `/privacy-requests/${created.body.id}/tasks/${crmTask.id}/confirm`, { confirmed_by: 'Agent Anna', deleted: [], retained: [], note: 'Card sent by post' })).status).toBe(200);
    expect((await until(created.body.id, (current) => current.state !== 'in_progress')).state).toBe('completed');

    // The link comes in the newest mail once the outbox has delivered it (the caller's code went before).
    const EXPORT_LINK = /https?:\/\/\S+\/account\/privacy\/export\/[A-Za-z0-9_-]{43}/;
    await vi.waitFor(async () => expect((await waitForMessage(server.url, email)).body).toMatch(EXPORT_LINK), { timeout: 10_000, interval: 100 });
    const link = EXPORT_LINK.exec((await waitForMessage(server.url, email)).body)![0]!;
    const download = await browser.request(link);
    expect(download.status).toBe(200);
    const archive = await download.json();
    const part = archive.systems.portvakt.data;

    // The profile: names, verified channels, address, birthdate and the custom attribute.
    expect(part.profile).toMatchObject({ id, email, email_verified: true, phone_number: phone, given_name: 'Eva', family_name: 'Ek', locale: 'sv', has_password: true, address: RICH_ADDRESS, birthdate: '1990-05-17', attributes: { shoe_size: '42' } });
    expect(part.profile.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Object.keys(part)).toEqual(PORTVAKT_SECTIONS);

    // Table by table, as declared: every included table's rows of the customer are in its section, and nothing else.
    const declarations: readonly TableDeclaration[] = server.portvakt.customers.dataDeclarations();
    const included = declarations.flatMap((declaration) => (declaration.export.rule === 'included' ? [{ table: declaration.table, section: declaration.export.section }] : []));
    expect(included.map((entry) => entry.table).sort()).toEqual(Object.keys(TABLES).sort());
    for (const { table, section } of included) {
      expect(PORTVAKT_SECTIONS, `${table}: section ${section}`).toContain(section);
      const spec = TABLES[table]!;
      const entries: Row[] = Array.isArray(part[section]) ? part[section] : [part[section]];
      const inDatabase = (await spec.rows(db, id, part)).map(spec.key).sort();
      const inExport = entries.map(spec.exported).filter((key) => key !== undefined).sort();
      expect(inDatabase.length, `${table}: the customer has rows`).toBeGreaterThan(0);
      expect(inExport, `${table} in ${section}`).toEqual(inDatabase);
    }
    expect(part.guest_checkouts[0]).toMatchObject({ id: guestId, order_references: ['W-100', 'W-101'], claimed_at: expect.any(String) });
    expect(part.caller_verifications[0]).toMatchObject({ channel: 'email', status: 'pending' });
    expect(part.brand_visits).toEqual([expect.objectContaining({ brand: 'outlet', name: 'Outlet' })]);
    expect(part.privacy_requests).toEqual([expect.objectContaining({ id: created.body.id, kind: 'export', verification: 'ID checked in store' })]);
    expect(part.audit_entries.map((entry: Row) => entry.action)).toEqual(expect.arrayContaining(['customer.created', 'guest.claimed', 'customer.attributes_updated', 'customer.reference_set', 'caller_verification.started', 'privacy_request.received']));

    // No secret: no password hash, claim token hash, code hash or session id.
    const text = JSON.stringify(archive);
    const secrets = [
      ...(await db.selectFrom('credentials').select('secret').where('customer_id', '=', id).execute()).map((row) => row.secret),
      ...(await db.selectFrom('guests').select('token_hash').where('claimed_by', '=', id).execute()).map((row) => row.token_hash),
      ...(await db.selectFrom('one_time_codes').select('code_hash').where('customer_id', '=', id).execute()).map((row) => row.code_hash),
      ...(await db.selectFrom('session_devices').select('session_uid').where('account_id', '=', id).execute()).map((row) => row.session_uid),
    ].filter((secret) => secret.length > 0);
    expect(secrets.length).toBeGreaterThan(2);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/argon2|password_hash|token_hash|code_hash|ip_hash/i);

    // The document matches the JSON Schema published beside the system contract.
    const schema = await (await fetch(`${server.url}/privacy/export-schema.json`)).json();
    expect(schemaProblems(schema, archive)).toEqual([]);
    // (The check checks something: a missing section, an unknown field and a wrong type are seen.)
    const { audit_entries: _dropped, ...withoutAudit } = part;
    const planted = { ...archive, systems: { ...archive.systems, portvakt: { ...archive.systems.portvakt, data: { ...withoutAudit, sessions: [{ ...part.sessions[0], session_uid: 'x' }], orders: 'W-100' } } } };
    expect(schemaProblems(schema, planted).sort()).toEqual(['$.systems.portvakt.data.orders: string, not array', '$.systems.portvakt.data.sessions[0]: session_uid is not in the schema', '$.systems.portvakt.data: audit_entries is missing']);
  });

  it('publishes the JSON Schema of the export beside the system contract', async () => {
    const response = await fetch(`${server.url}/privacy/export-schema.json`);
    expect(response.status).toBe(200);
    const schema = await response.json();
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'Portvakt export', required: ['format', 'request_id', 'customer_id', 'generated_at', 'systems', 'not_included'] });
    expect(Object.keys(schema.properties.systems.properties.portvakt.properties.data.properties)).toEqual(PORTVAKT_SECTIONS);
  });
});
