import type { Kysely } from 'kysely';

/**
 * In the store (issue 23): the group's stores, each with the tills' release (which references and
 * segments a till may learn) and the data-map system that reports its receipts; member codes a
 * signed-in customer shows at a till (kept as keyed hashes, single use); a store visit for each
 * customer a till identified, which its receipts name; and the store an API key is a till of.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stores')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('brand', 'text')
    .addColumn('system', 'text', (c) => c.notNull())
    .addColumn('reference_systems', 'text', (c) => c.notNull())
    .addColumn('segments', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('member_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('brand', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('member_codes_customer').on('member_codes').columns(['customer_id', 'issued_at']).execute();
  await db.schema.createIndex('member_codes_expiry').on('member_codes').column('expires_at').execute();
  await db.schema
    .createTable('store_visits')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('store', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('store_visits_customer').on('store_visits').column('customer_id').execute();
  await db.schema.alterTable('api_keys').addColumn('store', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('store').execute();
  for (const table of ['store_visits', 'member_codes', 'stores']) await db.schema.dropTable(table).ifExists().execute();
}
