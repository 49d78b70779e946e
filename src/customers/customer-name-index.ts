import type { Kysely, Transaction } from 'kysely';
import { nameWords, prefixRange, searchKey, wordOfKey } from '../i18n/name-folding.ts';
import type { Database } from '../store/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** Where a page of a name search ends: the word the customer was found at, and their id. */
export interface NamePosition {
  word: string;
  customerId: string;
}

/** A name search in folded words: `lead` is scanned in the index, each of `others` must start a word of the same customer too. */
export interface NameQuery {
  pool: string;
  lead: string;
  others: readonly string[];
}

/**
 * The folded words of customers' names (`customer_name_words`), written by the customer store in
 * the transaction that writes the names, so the search never finds a name a customer no longer has
 * and never misses one they have. Erasure and deletion take the rows with the customer's (foreign
 * key, and `forget` for good measure).
 */
export class CustomerNameIndex {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Makes the customer's rows the words of these names: inserts what is new, deletes what is gone (usually nothing to do). */
  async sync(trx: Transaction<Database>, customer: { id: string; pool: string }, givenName: string | null, familyName: string | null): Promise<void> {
    const wanted = nameWords(givenName, familyName).map((word) => searchKey(customer.pool, word));
    const stored = (await trx.selectFrom('customer_name_words').select('pool_word').where('customer_id', '=', customer.id).execute()).map((row) => row.pool_word);
    const gone = stored.filter((key) => !wanted.includes(key));
    if (gone.length > 0) await trx.deleteFrom('customer_name_words').where('customer_id', '=', customer.id).where('pool_word', 'in', gone).execute();
    const added = wanted.filter((key) => !stored.includes(key));
    if (added.length > 0) await trx.insertInto('customer_name_words').values(added.map((key) => ({ customer_id: customer.id, pool_word: key }))).execute();
  }

  /** The words of freshly inserted customers in one multi-row INSERT (bulk seeding); callers keep it within the bound parameters (two per word). */
  static async insertSeeded(trx: Transaction<Database>, customers: ReadonlyArray<{ id: string; pool: string; givenName: string | null; familyName: string | null }>): Promise<void> {
    const rows = customers.flatMap((customer) => nameWords(customer.givenName, customer.familyName).map((word) => ({ customer_id: customer.id, pool_word: searchKey(customer.pool, word) })));
    if (rows.length > 0) await trx.insertInto('customer_name_words').values(rows).execute();
  }

  async forget(customerId: string, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('customer_name_words').where('customer_id', '=', customerId).execute();
  }

  /**
   * A page of the customers whose words start with `lead` (and with each of `others`), ordered by
   * the first such word of each customer, then id: one ordered index range scan, from where the
   * last page ended, each customer once (at their first matching word), whatever the pool's size.
   */
  async page(query: NameQuery, limit: number, after?: NamePosition): Promise<NamePosition[]> {
    const rows = await this.pageQuery(query, limit, after).execute();
    return rows.map((row) => ({ word: wordOfKey(row.pool_word), customerId: row.customer_id }));
  }

  /** The query `page` runs (its plan is checked in tests: one range scan, no sort). */
  pageQuery(query: NameQuery, limit: number, after?: NamePosition, db: Executor = this.#db) {
    const lead = prefixRange(searchKey(query.pool, query.lead));
    // The range starts at the prefix, or just after the last page's end: one lower bound, so the
    // planner seeks to it (given both, SQLite may take the prefix and read the earlier pages again).
    const resume = after && searchKey(query.pool, after.word) >= lead.low ? { key: searchKey(query.pool, after.word), id: after.customerId } : undefined;
    let select = db
      .selectFrom('customer_name_words as w')
      .select(['w.pool_word', 'w.customer_id'])
      .where((eb) => (resume ? eb(eb.refTuple('w.pool_word', 'w.customer_id'), '>', eb.tuple(resume.key, resume.id)) : eb('w.pool_word', '>=', lead.low)))
      .where('w.pool_word', '<', lead.high)
      // Each customer once: not at a later word when an earlier one of theirs starts with `lead` too (Anna Andersson for "an").
      .where((eb) => eb.not(eb.exists(eb.selectFrom('customer_name_words as x').select('x.customer_id').whereRef('x.customer_id', '=', 'w.customer_id').where('x.pool_word', '>=', lead.low).whereRef('x.pool_word', '<', 'w.pool_word'))));
    for (const other of query.others) {
      const range = prefixRange(searchKey(query.pool, other));
      select = select.where((eb) => eb.exists(eb.selectFrom('customer_name_words as y').select('y.customer_id').whereRef('y.customer_id', '=', 'w.customer_id').where('y.pool_word', '>=', range.low).where('y.pool_word', '<', range.high)));
    }
    return select.orderBy('w.pool_word').orderBy('w.customer_id').limit(limit);
  }
}
