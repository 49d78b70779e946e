import type { Kysely } from 'kysely';

/**
 * Who is responsible for a brand's customers' data (the controller, GDPR Art. 4(7)) and where its
 * privacy notice is: named on the brand's sign-up and consent pages (Art. 13(1)(a)).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('brands').addColumn('controller', 'text').execute();
  await db.schema.alterTable('brands').addColumn('privacy_notice_url', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('brands').dropColumn('privacy_notice_url').execute();
  await db.schema.alterTable('brands').dropColumn('controller').execute();
}
