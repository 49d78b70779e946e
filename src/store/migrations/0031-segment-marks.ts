import type { Kysely } from 'kysely';

/**
 * Issue 22, ingest without waiting: a batch of signals that finds another transaction working out
 * a customer's memberships leaves a mark (`segment_marks`) instead of waiting, and works the
 * customer out after its commit; the mark has the cleanup job do it should that never happen.
 * Marks have no unique key on purpose: two batches marking one customer never wait for each other
 * (marks kept in `segment_rechecks`, keyed by customer, made two batches wait in a cycle).
 * Numbered 0031: 0030 was set aside for issue 24's import jobs, built at the same time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('segment_marks')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('marked_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('segment_marks_customer').on('segment_marks').column('customer_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('segment_marks').ifExists().execute();
}
