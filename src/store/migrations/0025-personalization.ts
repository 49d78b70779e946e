import type { Kysely } from 'kysely';

/**
 * Personalization under the profiling consent (issue 22): what connected systems reported a
 * customer did (signals), the event types they may report beyond the built-in ones, segments
 * (a rule over signals, attributes, consent and brands), who is in each, and when a customer's
 * memberships must be looked at again because a time window passes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signal_types')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('customer_signals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('system', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('brand', 'text')
    .addColumn('items', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('customer_signals_event', ['system', 'event_id'])
    .execute();
  await db.schema.createIndex('customer_signals_customer').on('customer_signals').columns(['customer_id', 'occurred_at']).execute();
  await db.schema.createIndex('customer_signals_age').on('customer_signals').column('occurred_at').execute();
  await db.schema
    .createTable('segments')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('texts', 'text', (c) => c.notNull())
    .addColumn('built', 'integer', (c) => c.notNull())
    .addColumn('build_cursor', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('segment_members')
    .addColumn('segment_key', 'text', (c) => c.notNull().references('segments.key').onDelete('cascade'))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('entered_at', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addPrimaryKeyConstraint('segment_members_pk', ['segment_key', 'customer_id'])
    .execute();
  await db.schema.createIndex('segment_members_customer').on('segment_members').column('customer_id').execute();
  await db.schema
    .createTable('segment_rechecks')
    .addColumn('customer_id', 'text', (c) => c.primaryKey().references('customers.id').onDelete('cascade'))
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('segment_rechecks_due').on('segment_rechecks').column('due_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['segment_rechecks', 'segment_members', 'segments', 'customer_signals', 'signal_types']) await db.schema.dropTable(table).ifExists().execute();
}
