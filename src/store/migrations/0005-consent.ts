import type { Kysely } from 'kysely';

/**
 * Consent: purposes with versioned, localized texts, and the ledger of decisions (append-only;
 * the current state of a purpose for a customer is the latest record, never an edited row).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('consent_purposes')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('required', 'integer', (c) => c.notNull())
    .addColumn('brand', 'text')
    .addColumn('current_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('consent_purpose_versions')
    .addColumn('purpose_key', 'text', (c) => c.notNull().references('consent_purposes.key').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('texts', 'text', (c) => c.notNull())
    .addColumn('text_hash', 'text', (c) => c.notNull())
    .addColumn('requires_fresh_consent', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('consent_purpose_versions_pk', ['purpose_key', 'version'])
    .execute();

  await db.schema
    .createTable('consent_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull().unique())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('purpose_key', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('text_hash', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('ip_hash', 'text')
    .addColumn('recorded_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_records_customer').on('consent_records').columns(['customer_id', 'purpose_key', 'seq']).execute();
  await db.schema.createIndex('consent_records_purpose').on('consent_records').columns(['purpose_key', 'customer_id', 'seq']).execute();

  await db.schema.createTable('consent_sequence').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('seq', 'bigint', (c) => c.notNull()).execute();
  await db.insertInto('consent_sequence' as never).values({ id: 1, seq: 0 } as never).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['consent_sequence', 'consent_records', 'consent_purpose_versions', 'consent_purposes']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
