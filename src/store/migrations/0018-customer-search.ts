import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { nameWords, searchKey } from '../../i18n/name-folding.ts';

/**
 * Finding a customer by the start of a name (issue 20): every folded word of a customer's given
 * and family names (i18n/name-folding.ts), one row each, keyed by pool and word together
 * (`default anna`) and the customer, so a prefix is one index range scan in order, and a page
 * further on starts with a seek to where the last one ended. The second index finds a customer's
 * own words (the search checks the other words of the query there, a name change replaces them).
 *
 * Pool and word are one column, not two, so that the key leads the index: with the pool first (one
 * value in practice), SQLite's planner, given statistics, chose a skip-scan and sorted the range.
 * Keys compare by code point on both engines: SQLite's default BINARY, and on PostgreSQL the "C"
 * collation, whatever the database's own is (under a language collation the keys a prefix spans
 * would not be those between prefix and prefix + 1). The words of existing customers are written here.
 */
interface Tables {
  customers: { id: string; pool: string; given_name: string | null; family_name: string | null };
  customer_name_words: { customer_id: string; pool_word: string };
}

const CUSTOMERS_PER_BATCH = 1000;
/** Rows per INSERT: two parameters each, below SQLite's 32,766 bound parameters. */
const ROWS_PER_INSERT = 5000;

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('customer_name_words')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('pool_word', 'text', (c) => (postgres ? c.notNull().modifyEnd(sql`collate "C"`) : c.notNull()))
    .addPrimaryKeyConstraint('customer_name_words_pk', ['pool_word', 'customer_id'])
    .execute();
  await db.schema.createIndex('customer_name_words_customer').on('customer_name_words').columns(['customer_id', 'pool_word']).execute();
  await backfill(db as Kysely<Tables>);
}

async function backfill(db: Kysely<Tables>): Promise<void> {
  let after = '';
  for (;;) {
    const customers = await db.selectFrom('customers').select(['id', 'pool', 'given_name', 'family_name']).where('id', '>', after).orderBy('id').limit(CUSTOMERS_PER_BATCH).execute();
    if (customers.length === 0) return;
    const rows = customers.flatMap((customer) => nameWords(customer.given_name, customer.family_name).map((word) => ({ customer_id: customer.id, pool_word: searchKey(customer.pool, word) })));
    for (let offset = 0; offset < rows.length; offset += ROWS_PER_INSERT) await db.insertInto('customer_name_words').values(rows.slice(offset, offset + ROWS_PER_INSERT)).execute();
    after = customers.at(-1)!.id;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customer_name_words').ifExists().execute();
}
