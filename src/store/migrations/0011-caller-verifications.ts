import type { Kysely } from 'kysely';

/**
 * Customer service identifying a caller (issue 8): a verification an agent starts, decided by a
 * code the customer reads out or by the customer approving it in their signed-in account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('caller_verifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('operator_id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('decided_at', 'bigint')
    .execute();
  await db.schema.createIndex('caller_verifications_customer').on('caller_verifications').columns(['customer_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('caller_verifications').ifExists().execute();
}
