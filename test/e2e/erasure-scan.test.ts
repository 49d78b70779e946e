import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableDeclaration } from '../../src/customers/customer-data.ts';
import type { Database } from '../../src/store/schema.ts';
import { untilRequest } from '../support/privacy-request-wait.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { prepareRichCustomers, richCustomer } from '../support/rich-customer.ts';

type Request = { id: string; state: string; tasks: Array<{ id: string; system: string; state: string }> };

/**
 * Every table of the database, every column, read as text: the tables holding the customer's id or
 * e-mail address anywhere (JSON payloads and details included).
 */
async function tablesHolding(db: Kysely<Database>, id: string, email: string): Promise<string[]> {
  const tables = (await db.introspection.getTables()).filter((table) => !table.name.startsWith('portvakt_migrations'));
  const holding: string[] = [];
  for (const table of tables) {
    const mentions = table.columns.map((column) => sql`cast(${sql.ref(column.name)} as text) like ${`%${id}%`} or lower(cast(${sql.ref(column.name)} as text)) like ${`%${email}%`}`);
    const found = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table.name)} where ${sql.join(mentions, sql` or `)}`.execute(db);
    if (Number(found.rows[0]!.n) > 0) holding.push(table.name);
  }
  return holding.sort();
}

/**
 * Erasure leaves nothing of the customer but what the declarations keep: a scan of every column of
 * every table finds the customer's id or address only in tables whose declaration keeps or
 * pseudonymizes their rows (proof of consent, the audit log, the request itself …), each for its reason.
 */
describe.each(DIALECTS)('after erasure, on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);

  const until = (id: string, done: (request: Request) => boolean, timeoutMs?: number) => untilRequest<Request>(server, id, done, timeoutMs);

  beforeAll(async () => {
    server = await startPortvakt(dialect, { OUTBOX_POLL_MS: '100' });
    rp = await prepareRichCustomers(server);
  });
  afterAll(() => server?.stop());

  it('finds the customer only in tables the declarations keep, each kept for a reason', async () => {
    const db = server.portvakt.store.db;
    const email = `erase-everything-${dialect}@example.se`;
    const { id } = await richCustomer(server, rp, email);
    const stays = await richCustomer(server, rp, `stays-${dialect}@example.se`);
    const before = await tablesHolding(db, id, email);
    expect(before.length).toBeGreaterThan(12);

    const created = await api<Request>('POST', '/privacy-requests', { customer_id: id, kind: 'erasure', verification: 'ID checked in store' });
    expect(created.status).toBe(201);
    const waiting = await until(created.body.id, (current) => current.tasks.some((task) => task.system === 'crm' && task.state === 'waiting_operator') && current.tasks.some((task) => task.system === 'portvakt' && task.state === 'done'));
    const crm = waiting.tasks.find((task) => task.system === 'crm')!;
    expect((await api('POST', `/privacy-requests/${created.body.id}/tasks/${crm.id}/confirm`, { confirmed_by: 'Agent Anna', deleted: ['contact'], retained: [] })).status).toBe(200);
    expect((await until(created.body.id, (current) => current.state !== 'in_progress')).state).toMatch(/^completed/);

    const declarations: readonly TableDeclaration[] = server.portvakt.customers.dataDeclarations();
    const kept = new Map(declarations.flatMap((declaration) => (declaration.erasure.rule === 'delete' ? [] : [[declaration.table as string, declaration.erasure.reason] as const])));
    const after = await tablesHolding(db, id, email);
    expect(after.filter((table) => !kept.has(table))).toEqual([]);
    for (const table of after) expect(kept.get(table)!.length, table).toBeGreaterThan(20);
    // The evidence report names each of those tables with its reason (retained, or pseudonymized in the note).
    const report = JSON.stringify((await api('GET', `/privacy-requests/${created.body.id}/report`)).body);
    for (const table of after) expect(report, table).toContain(JSON.stringify(`${table}: ${kept.get(table)}`).slice(1, -1));
    // The customer row, addresses, credentials, sessions, attributes, orders, identities and references are gone.
    for (const gone of ['customers', 'customer_emails', 'customer_phones', 'credentials', 'session_devices', 'customer_attributes', 'customer_orders', 'identities', 'customer_references', 'customer_brands', 'caller_verifications']) expect(after, gone).not.toContain(gone);
    // Someone else's data is untouched.
    expect((await api('GET', `/customers/${stays.id}`)).status).toBe(200);
    expect((await tablesHolding(db, stays.id, `stays-${dialect}@example.se`)).length).toBeGreaterThan(12);
  });
});
