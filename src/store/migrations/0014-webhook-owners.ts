import type { Kysely } from 'kysely';

/** Webhook subscriptions belong to the operator that made them: an integration sees and changes only its own. Null: made by an admin (or before roles). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_subscriptions').addColumn('owner', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_subscriptions').dropColumn('owner').execute();
}
