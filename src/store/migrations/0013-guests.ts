import type { Kysely } from 'kysely';

/**
 * Guest checkout (issue 8): a shop's guest, kept apart from customers until the person claims it
 * (e-mail code or a proven account), then turned into an account or merged into theirs; and the
 * order references a customer's account carries.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('guests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('given_name', 'text')
    .addColumn('family_name', 'text')
    .addColumn('order_references', 'text', (c) => c.notNull())
    .addColumn('consents', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_by', 'text', (c) => c.references('customers.id').onDelete('set null'))
    .addColumn('claimed_at', 'bigint')
    .execute();
  await db.schema.createIndex('guests_email').on('guests').columns(['pool', 'email']).execute();
  await db.schema
    .createTable('customer_orders')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('guest_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_orders_pk', ['customer_id', 'reference'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customer_orders').ifExists().execute();
  await db.schema.dropTable('guests').ifExists().execute();
}
