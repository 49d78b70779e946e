import type { Kysely } from 'kysely';

/** A brand's own wording of its messages (JSON: locale → kind → text → template), or null for the group's. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('brands').addColumn('message_templates', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('brands').dropColumn('message_templates').execute();
}
