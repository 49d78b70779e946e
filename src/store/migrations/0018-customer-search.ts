import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { nameKeys } from '../../i18n/name-folding.ts';

/**
 * Finding a customer by the start of a name (issue 20): the search keys of each customer's given
 * and family names (i18n/name-folding.ts: every folded word, `default/w/anna`, and every ordered
 * pair of words, `default/p/ann/andersson`), one row each, keyed (search_key, customer) so that a
 * prefix is one index range scan in order, and a page further on starts with a seek to where the
 * last one ended. The second index finds a customer's own keys (the search checks the other words
 * of a query there; a name change replaces them).
 *
 * The pool is part of the key rather than a column of its own before it: with the pool first (one
 * value in practice), SQLite's planner, given statistics, chose a skip-scan and sorted the range.
 * SQLite keeps the rows in the primary key itself (WITHOUT ROWID): a search reads only the two
 * indexes, and the keys are a large part of the database (four or five a customer).
 * Keys compare by code point on both engines: SQLite's default BINARY, and on PostgreSQL the "C"
 * collation, whatever the database's own is (under a language collation the keys a prefix spans
 * would not be those between prefix and prefix + 1). The keys of existing customers are written here.
 */
interface Tables {
  customers: { id: string; pool: string; given_name: string | null; family_name: string | null };
  customer_name_keys: { customer_id: string; search_key: string };
}

const CUSTOMERS_PER_BATCH = 1000;
/** Rows per INSERT: two parameters each, below SQLite's 32,766 bound parameters. */
const ROWS_PER_INSERT = 5000;

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const table = db.schema
    .createTable('customer_name_keys')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('search_key', 'text', (c) => (postgres ? c.notNull().modifyEnd(sql`collate "C"`) : c.notNull()))
    .addPrimaryKeyConstraint('customer_name_keys_pk', ['search_key', 'customer_id']);
  // On SQLite the primary key is the table (no rowid table beside it): one copy of each key fewer.
  await (postgres ? table : table.modifyEnd(sql`without rowid`)).execute();
  await db.schema.createIndex('customer_name_keys_customer').on('customer_name_keys').columns(['customer_id', 'search_key']).execute();
  await backfill(db as Kysely<Tables>);
}

async function backfill(db: Kysely<Tables>): Promise<void> {
  let after = '';
  for (;;) {
    const customers = await db.selectFrom('customers').select(['id', 'pool', 'given_name', 'family_name']).where('id', '>', after).orderBy('id').limit(CUSTOMERS_PER_BATCH).execute();
    if (customers.length === 0) return;
    const rows = customers.flatMap((customer) => nameKeys(customer.pool, customer.given_name, customer.family_name).map((key) => ({ customer_id: customer.id, search_key: key })));
    for (let offset = 0; offset < rows.length; offset += ROWS_PER_INSERT) await db.insertInto('customer_name_keys').values(rows.slice(offset, offset + ROWS_PER_INSERT)).execute();
    after = customers.at(-1)!.id;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customer_name_keys').ifExists().execute();
}
