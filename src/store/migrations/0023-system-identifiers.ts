import type { Kysely } from 'kysely';

/**
 * How each system on the data map keys its customers (`identified_by`: a JSON list of
 * `reference`, `email`, `phone`; existing systems keep being told the reference only), the
 * identifiers a privacy task carries to its system (`identifiers`: JSON, only those the system
 * declared and the customer had; cleared when the task is finished), and when an overdue request
 * was announced (`overdue_announced_at`: the `privacy.request.overdue` event is published once per
 * due date).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('data_systems').addColumn('identified_by', 'text', (c) => c.notNull().defaultTo('["reference"]')).execute();
  await db.schema.alterTable('privacy_tasks').addColumn('identifiers', 'text').execute();
  await db.schema.alterTable('privacy_requests').addColumn('overdue_announced_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('privacy_requests').dropColumn('overdue_announced_at').execute();
  await db.schema.alterTable('privacy_tasks').dropColumn('identifiers').execute();
  await db.schema.alterTable('data_systems').dropColumn('identified_by').execute();
}
