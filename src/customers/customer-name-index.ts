import type { Kysely, Transaction } from 'kysely';
import { nameKeys, prefixRange } from '../i18n/name-folding.ts';
import type { Database } from '../store/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** Where a page of a name search ends: the key the customer was found at, and their id. */
export interface NamePosition {
  key: string;
  customerId: string;
}

/**
 * A name search in keys (i18n/name-folding.ts): the customers with a key starting with `scan`, read
 * in the index, who also have a key starting with each of `checks`.
 */
export interface NameQuery {
  scan: string;
  checks: readonly string[];
}

/**
 * The search keys of customers' names (`customer_name_keys`), written by the customer store in
 * the transaction that writes the names, so the search never finds a name a customer no longer has
 * and never misses one they have. Erasure and deletion take the rows with the customer's (foreign
 * key, and `forget` for good measure).
 */
export class CustomerNameIndex {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Makes the customer's rows the keys of these names: inserts what is new, deletes what is gone (nothing, when the names stayed). */
  async sync(trx: Transaction<Database>, customer: { id: string; pool: string }, givenName: string | null, familyName: string | null): Promise<void> {
    const wanted = nameKeys(customer.pool, givenName, familyName);
    const stored = (await trx.selectFrom('customer_name_keys').select('search_key').where('customer_id', '=', customer.id).execute()).map((row) => row.search_key);
    const gone = stored.filter((key) => !wanted.includes(key));
    if (gone.length > 0) await trx.deleteFrom('customer_name_keys').where('customer_id', '=', customer.id).where('search_key', 'in', gone).execute();
    const added = wanted.filter((key) => !stored.includes(key));
    if (added.length > 0) await trx.insertInto('customer_name_keys').values(added.map((key) => ({ customer_id: customer.id, search_key: key }))).execute();
  }

  /** The keys of freshly inserted customers in one multi-row INSERT (bulk seeding); callers keep it within the bound parameters (two per key, at most 25 keys a customer). */
  static async insertSeeded(trx: Transaction<Database>, customers: ReadonlyArray<{ id: string; pool: string; givenName: string | null; familyName: string | null }>): Promise<void> {
    const rows = customers.flatMap((customer) => nameKeys(customer.pool, customer.givenName, customer.familyName).map((key) => ({ customer_id: customer.id, search_key: key })));
    if (rows.length > 0) await trx.insertInto('customer_name_keys').values(rows).execute();
  }

  async forget(customerId: string, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('customer_name_keys').where('customer_id', '=', customerId).execute();
  }

  /**
   * A page of the customers with a key starting with `scan` (and one starting with each of
   * `checks`), ordered by the first such key of each customer, then id: one ordered index range
   * scan, from where the last page ended, each customer once, whatever the pool's size.
   */
  async page(query: NameQuery, limit: number, after?: NamePosition): Promise<NamePosition[]> {
    const rows = await this.pageQuery(query, limit, after).execute();
    return rows.map((row) => ({ key: row.search_key, customerId: row.customer_id }));
  }

  /** The query `page` runs (its plan is checked in tests: one range scan, no sort). */
  pageQuery(query: NameQuery, limit: number, after?: NamePosition, db: Executor = this.#db) {
    const scan = prefixRange(query.scan);
    // The range starts at the prefix, or just after the last page's end: one lower bound, so the
    // planner seeks to it (given both, SQLite may take the prefix and read the earlier pages again).
    // A position before the range (another search's) starts it from the beginning.
    const resume = after && after.key >= scan.low ? after : undefined;
    let select = db
      .selectFrom('customer_name_keys as w')
      .select(['w.search_key', 'w.customer_id'])
      .where((eb) => (resume ? eb(eb.refTuple('w.search_key', 'w.customer_id'), '>', eb.tuple(resume.key, resume.customerId)) : eb('w.search_key', '>=', scan.low)))
      .where('w.search_key', '<', scan.high)
      // Each customer once: not at a later key when an earlier one of theirs is in the range too (Anna Andersson for "an").
      .where((eb) => eb.not(eb.exists(eb.selectFrom('customer_name_keys as x').select('x.customer_id').whereRef('x.customer_id', '=', 'w.customer_id').where('x.search_key', '>=', scan.low).whereRef('x.search_key', '<', 'w.search_key'))));
    for (const check of query.checks) {
      const range = prefixRange(check);
      select = select.where((eb) => eb.exists(eb.selectFrom('customer_name_keys as y').select('y.customer_id').whereRef('y.customer_id', '=', 'w.customer_id').where('y.search_key', '>=', range.low).where('y.search_key', '<', range.high)));
    }
    return select.orderBy('w.search_key').orderBy('w.customer_id').limit(limit);
  }
}
