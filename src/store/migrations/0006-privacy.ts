import { sql, type Kysely } from 'kysely';

/**
 * The data map and GDPR requests: systems holding customer data, the customer's reference in each,
 * privacy requests (erasure, export) with one task per system, and suppressions (keyed hashes of
 * erased addresses, so an import cannot bring an erased customer back for marketing).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('data_systems')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('retention', 'text')
    .addColumn('access', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text')
    .addColumn('secret', 'text')
    .addColumn('checklist', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('customer_references')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('system', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_references_pk', ['customer_id', 'system'])
    .execute();
  await db.schema.createIndex('customer_references_lookup').on('customer_references').columns(['system', 'reference']).unique().execute();

  await db.schema
    .createTable('privacy_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    // Pseudonymous after an erasure: the id stays, nothing it pointed to does.
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('verified_at', 'bigint')
    .addColumn('verification', 'text')
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('extension_reason', 'text')
    .addColumn('completed_at', 'bigint')
    .addColumn('report', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('privacy_requests_customer').on('privacy_requests').columns(['customer_id', 'received_at']).execute();
  await db.schema.createIndex('privacy_requests_open').on('privacy_requests').columns(['state', 'due_at']).execute();
  // One open request per customer and kind, even when two nodes take two requests at once.
  await db.schema
    .createIndex('privacy_requests_one_open')
    .on('privacy_requests')
    .columns(['customer_id', 'kind'])
    .unique()
    .where(sql.ref('state'), 'in', ['received', 'verified', 'in_progress'])
    .execute();

  await db.schema
    .createTable('privacy_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('privacy_requests.id').onDelete('cascade'))
    .addColumn('system', 'text', (c) => c.notNull())
    .addColumn('access', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('receipt', 'text')
    // Sealed: the data an export task brought back, until the archive is assembled.
    .addColumn('export_data', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('privacy_tasks_request').on('privacy_tasks').columns(['request_id']).execute();
  await db.schema.createIndex('privacy_tasks_due').on('privacy_tasks').columns(['state', 'next_attempt_at']).execute();

  await db.schema
    .createTable('privacy_exports')
    .addColumn('request_id', 'text', (c) => c.primaryKey().references('privacy_requests.id').onDelete('cascade'))
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    // Sealed JSON archive; cleared when downloaded (single use) or expired.
    .addColumn('archive', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('downloaded_at', 'bigint')
    .execute();

  await db.schema
    .createTable('suppressions')
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('suppressions_pk', ['pool', 'email_hash'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['suppressions', 'privacy_exports', 'privacy_tasks', 'privacy_requests', 'customer_references', 'data_systems']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
