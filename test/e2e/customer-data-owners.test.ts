import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tablesOf, type CustomerDataOwner, type ForgottenCustomer } from '../../src/customers/customer-data.ts';
import { OPERATOR } from '../../src/events/audit-log.ts';
import type { Database } from '../../src/store/schema.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

type Db = Kysely<Database>;

/**
 * How each table holding a customer's data is filled for a customer (as the owning module would),
 * and how much of the customer's data it holds: rows that are theirs, or, where erasure keeps the
 * row and blanks a copy (exports), the rows still holding the copy.
 */
interface TableSpec {
  seed(db: Db, customer: ForgottenCustomer, tag: string, now: number): Promise<void>;
  held(db: Db, customer: ForgottenCustomer): Promise<number>;
  /** Rows that must stay after forgetting (blanked, not deleted). */
  kept?(db: Db, customer: ForgottenCustomer): Promise<number>;
}

const count = async (query: Promise<Array<{ n: string | number | bigint }>>) => Number((await query)[0]?.n ?? 0);
const REQUEST = (customer: ForgottenCustomer) => `pr-${customer.id}`;
/** The customer's privacy request that tasks and an export belong to (it stays: evidence). */
const request = (db: Db, c: ForgottenCustomer, now: number) =>
  db
    .insertInto('privacy_requests')
    .values({ id: REQUEST(c), kind: 'export', customer_id: c.id, state: 'completed', source: 'operator', received_at: now, verified_at: now, verification: 'test', due_at: now + 86_400_000, extension_reason: null, completed_at: now, report: null, version: 0 })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();

const SPECS: Record<string, TableSpec> = {
  customers: { seed: async () => {}, held: (db, c) => count(db.selectFrom('customers').select((eb) => eb.fn.countAll().as('n')).where('id', '=', c.id).execute()) },
  customer_emails: { seed: async () => {}, held: (db, c) => count(db.selectFrom('customer_emails').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()) },
  customer_phones: { seed: async () => {}, held: (db, c) => count(db.selectFrom('customer_phones').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()) },
  customer_name_keys: {
    seed: (db, c, tag) => db.insertInto('customer_name_keys').values({ customer_id: c.id, search_key: `default/w/name${tag}` }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('customer_name_keys').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  credentials: { seed: async () => {}, held: (db, c) => count(db.selectFrom('credentials').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()) },
  oidc_artifacts: {
    seed: (db, c, tag) => db.insertInto('oidc_artifacts').values({ model: 'Session', id: `s-${tag}`, payload: '{}', grant_id: null, account_id: c.id, uid: `u-${tag}`, user_code: null, expires_at: null, consumed_at: null }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('oidc_artifacts').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', c.id).execute()),
  },
  interaction_flows: {
    seed: (db, c, tag, now) => db.insertInto('interaction_flows').values({ uid: `f-${tag}`, state: 'second_factor', customer_id: c.id, data: '{}', expires_at: now + 3_600_000, updated_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('interaction_flows').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  session_devices: {
    seed: (db, c, tag, now) => db.insertInto('session_devices').values({ session_uid: `u-${tag}`, account_id: c.id, user_agent: 'Firefox', created_at: now, last_used_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('session_devices').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', c.id).execute()),
  },
  one_time_codes: {
    // One code of the account, one sent to the address with no account named (sign-up, say).
    seed: async (db, c, tag, now) => {
      const code = { purpose: 'email_sign_in', flow_id: null, code_hash: 'x', link_hash: 'y', payload: null, attempts: 0, created_at: now, expires_at: now + 600_000, consumed_at: null };
      await db.insertInto('one_time_codes').values([{ ...code, id: `c1-${tag}`, customer_id: c.id, target: '+46700000000', link_hash: `l1-${tag}` }, { ...code, id: `c2-${tag}`, customer_id: null, target: c.email, link_hash: `l2-${tag}` }]).execute();
    },
    held: (db, c) => count(db.selectFrom('one_time_codes').select((eb) => eb.fn.countAll().as('n')).where((eb) => eb.or([eb('customer_id', '=', c.id), eb('target', '=', c.email)])).execute()),
  },
  identities: {
    seed: (db, c, tag, now) => db.insertInto('identities').values({ connection: 'test-idp', subject: `sub-${tag}`, customer_id: c.id, created_at: now, last_used_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('identities').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  guests: {
    // A guest the customer claimed, and one left unclaimed under their address.
    seed: async (db, c, tag, now) => {
      const guest = { pool: c.pool, given_name: null, family_name: null, order_references: '[]', consents: '[]', locale: 'sv', client_id: null, created_at: now, expires_at: now + 86_400_000 };
      await db.insertInto('guests').values([{ ...guest, id: `g1-${tag}`, email: 'someone-else@example.se', token_hash: `t1-${tag}`, claimed_by: c.id, claimed_at: now }, { ...guest, id: `g2-${tag}`, email: c.email, token_hash: `t2-${tag}`, claimed_by: null, claimed_at: null }]).execute();
    },
    held: (db, c) => count(db.selectFrom('guests').select((eb) => eb.fn.countAll().as('n')).where((eb) => eb.or([eb('claimed_by', '=', c.id), eb('email', '=', c.email)])).execute()),
  },
  customer_orders: {
    seed: (db, c, tag, now) => db.insertInto('customer_orders').values({ customer_id: c.id, reference: `o-${tag}`, guest_id: `g1-${tag}`, created_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('customer_orders').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  customer_references: {
    seed: (db, c, tag, now) => db.insertInto('customer_references').values({ customer_id: c.id, system: 'crm', reference: `r-${tag}`, created_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('customer_references').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  caller_verifications: {
    seed: (db, c, tag, now) => db.insertInto('caller_verifications').values({ id: `cv-${tag}`, customer_id: c.id, channel: 'email', status: 'pending', operator_id: 'op', agent_id: null, created_at: now, expires_at: now + 600_000, decided_at: null }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('caller_verifications').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  customer_attributes: {
    seed: (db, c, _tag, now) => db.insertInto('customer_attributes').values({ customer_id: c.id, key: 'birthdate', value: '"1990-01-01"', updated_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('customer_attributes').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  customer_brands: {
    seed: (db, c, _tag, now) => db.insertInto('customer_brands').values({ customer_id: c.id, brand: 'outlet', first_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('customer_brands').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  customer_signals: {
    seed: (db, c, tag, now) => db.insertInto('customer_signals').values({ id: `sig-${tag}`, system: 'webshop', event_id: `e-${tag}`, customer_id: c.id, type: 'purchase', occurred_at: now, channel: 'web', brand: null, items: '[]', recorded_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('customer_signals').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  segment_members: {
    seed: (db, c, _tag, now) => db.insertInto('segment_members').values({ segment_key: 'test_segment', customer_id: c.id, entered_at: now, reason: null }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('segment_members').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  segment_rechecks: {
    seed: (db, c, _tag, now) => db.insertInto('segment_rechecks').values({ customer_id: c.id, due_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('segment_rechecks').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  segment_marks: {
    seed: (db, c, _tag, now) => db.insertInto('segment_marks').values({ customer_id: c.id, marked_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('segment_marks').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  member_codes: {
    seed: (db, c, tag, now) => db.insertInto('member_codes').values({ code_hash: `mc-${tag}`, customer_id: c.id, brand: '', issued_at: now, expires_at: now + 120_000, used_at: null }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('member_codes').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  store_visits: {
    seed: (db, c, tag, now) => db.insertInto('store_visits').values({ id: `sv-${tag}`, store: 'sthlm', customer_id: c.id, method: 'member_code', created_at: now }).execute().then(() => {}),
    held: (db, c) => count(db.selectFrom('store_visits').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
  privacy_tasks: {
    // The request stays (evidence); the export data a system answered is the copy that goes.
    seed: async (db, c, tag, now) => {
      await request(db, c, now);
      await db.insertInto('privacy_tasks').values({ id: `pt-${tag}`, request_id: REQUEST(c), system: 'crm', access: 'api', mode: 'export', reference: null, categories: '[]', state: 'done', attempts: 1, next_attempt_at: now, claimed_until: 0, last_error: null, receipt: null, export_data: 'sealed', created_at: now, completed_at: now }).execute();
    },
    held: (db, c) => count(db.selectFrom('privacy_tasks').select((eb) => eb.fn.countAll().as('n')).where('request_id', '=', REQUEST(c)).where('export_data', 'is not', null).execute()),
    kept: (db, c) => count(db.selectFrom('privacy_tasks').select((eb) => eb.fn.countAll().as('n')).where('request_id', '=', REQUEST(c)).execute()),
  },
  privacy_exports: {
    seed: async (db, c, tag, now) => {
      await request(db, c, now);
      await db.insertInto('privacy_exports').values({ request_id: REQUEST(c), customer_id: c.id, token_hash: `h-${tag}`, archive: 'sealed', created_at: now, expires_at: now + 86_400_000, downloaded_at: null }).execute();
    },
    held: (db, c) => count(db.selectFrom('privacy_exports').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).where('archive', 'is not', null).execute()),
    kept: (db, c) => count(db.selectFrom('privacy_exports').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', c.id).execute()),
  },
};

describe.each(DIALECTS)('each owner of customer data forgets one customer and no other, on %s', (dialect) => {
  let running: RunningPortvakt;
  let db: Db;
  let owners: readonly CustomerDataOwner[];

  beforeAll(async () => {
    running = await startPortvakt(dialect);
    db = running.portvakt.store.db;
    owners = running.portvakt.customers.dataOwners();
    const now = Date.now();
    await db.insertInto('segments').values({ key: 'test_segment', rule: '{"brand":"x1"}', texts: '{}', built: 1, build_cursor: null, created_at: now, updated_at: now }).execute();
    await db.insertInto('connections').values({ key: 'test-idp', name: 'Test IdP', kind: 'oidc', issuer: 'https://idp.example', client_id: 'portvakt', client_secret: null, scopes: 'openid email', trust_email_verified: 0, enabled: 1, settings: '{}', clients: null, brands: null, version: 0, created_at: now, updated_at: now }).execute();
  });
  afterAll(() => running?.stop());

  it('has a fill for every table an owner holds (so no owner goes untested)', () => {
    expect(owners.flatMap(tablesOf).filter((table) => !(table in SPECS))).toEqual([]);
  });

  // Owners in the order Customers asks them; the customer store (rows the others hang on) is last.
  it.each(Array.from({ length: 18 }, (_, i) => i))('owner #%i deletes or blanks the forgotten customer\'s rows only', async (index) => {
    const owner = owners[index];
    if (!owner) return expect(index).toBeGreaterThanOrEqual(owners.length);
    const now = Date.now();
    const make = async (name: string) => {
      const record = await running.portvakt.customers.create({ email: `${name}-${index}@example.se`, email_verified: true, password: 'correct horse battery', phone_number: `+4670${index}${name === 'forgotten' ? '11111' : '22222'}` }, OPERATOR);
      const customer = { id: record.id, pool: record.pool, email: record.email };
      for (const table of tablesOf(owner)) await SPECS[table]!.seed(db, customer, `${name}-${index}`, now);
      return customer;
    };
    const forgotten = await make('forgotten');
    const other = await make('other');
    const held = async (customer: ForgottenCustomer) => Object.fromEntries(await Promise.all(tablesOf(owner).map(async (table) => [table, await SPECS[table]!.held(db, customer)] as const)));
    const kept = async (customer: ForgottenCustomer) => Object.fromEntries(await Promise.all(tablesOf(owner).filter((table) => SPECS[table]!.kept).map(async (table) => [table, await SPECS[table]!.kept!(db, customer)] as const)));
    const before = { forgotten: await held(forgotten), other: await held(other), keptRows: await kept(forgotten) };
    for (const table of tablesOf(owner)) expect(before.forgotten[table], `${owner.constructor.name}: ${table} was filled`).toBeGreaterThan(0);

    await db.transaction().execute((trx) => owner.forget(forgotten, trx));

    expect(await held(forgotten), owner.constructor.name).toEqual(Object.fromEntries(tablesOf(owner).map((table) => [table, 0])));
    expect(await held(other), owner.constructor.name).toEqual(before.other);
    expect(await kept(forgotten), `${owner.constructor.name} blanks, keeping the rows`).toEqual(before.keptRows);
  });

  /** Every table's fill for a new customer, and what each table then holds of them. */
  const filled = async (name: string) => {
    const now = Date.now();
    const record = await running.portvakt.customers.create({ email: `${name}@example.se`, email_verified: true, password: 'correct horse battery', phone_number: name === 'erased' ? '+46701234567' : '+46707654321' }, OPERATOR);
    const customer = { id: record.id, pool: record.pool, email: record.email };
    for (const spec of Object.values(SPECS)) await spec.seed(db, customer, name, now);
    return customer;
  };
  const holdings = async (customer: ForgottenCustomer) => Object.fromEntries(await Promise.all(Object.entries(SPECS).map(async ([table, spec]) => [table, await spec.held(db, customer)] as const)));

  it('erasure forgets everything every owner holds; an operator\'s deletion leaves what only erasure forgets, as it always has', async () => {
    const erased = await filled('erased');
    const deleted = await filled('deleted');
    for (const [table, rows] of Object.entries(await holdings(erased))) expect(rows, table).toBeGreaterThan(0);
    await running.portvakt.customers.erase(erased.id, 'pr-test', async () => {});
    await running.portvakt.customers.remove(deleted.id, OPERATOR);
    expect(Object.entries(await holdings(erased)).filter(([, rows]) => rows > 0)).toEqual([]);
    // Kept on deletion: the device list, the code sent to the address before an account existed, export copies.
    expect(Object.entries(await holdings(deleted)).filter(([, rows]) => rows > 0)).toEqual([
      ['session_devices', 1],
      ['one_time_codes', 1],
      ['privacy_tasks', 1],
      ['privacy_exports', 1],
    ]);
  });

  it('asks 18 owners, the customer store last', () => {
    expect(owners).toHaveLength(18);
    expect(tablesOf(owners.at(-1)!)).toEqual(['customers', 'customer_emails', 'customer_phones', 'customer_name_keys']);
  });
});
