import { sql, type Kysely } from 'kysely';

/**
 * Consent recorded by another platform (a consent-management platform, through an integration
 * key allowed the `consent` capability):
 * - `api_keys.consent_purposes`: JSON list of the purposes an integration key may record
 *   decisions for; null: no consent capability.
 * - `consent_records`: where a decision came from (`source_platform`, `source_record_id`), when it
 *   was captured there (`captured_at`, ms; null: at `recorded_at`), its proof (`source_proof`: a TCF
 *   string or a document hash), and whether it counts (`counts` 0: an older platform decision that
 *   arrived after a newer one, kept as history only). A platform record is stored once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('consent_purposes', 'text').execute();
  await db.schema.alterTable('consent_records').addColumn('source_platform', 'text').execute();
  await db.schema.alterTable('consent_records').addColumn('source_record_id', 'text').execute();
  await db.schema.alterTable('consent_records').addColumn('captured_at', 'bigint').execute();
  await db.schema.alterTable('consent_records').addColumn('source_proof', 'text').execute();
  await db.schema.alterTable('consent_records').addColumn('counts', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createIndex('consent_records_source')
    .on('consent_records')
    .columns(['source_platform', 'source_record_id'])
    .unique()
    .where(sql.ref('source_record_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('consent_records_source').execute();
  for (const column of ['counts', 'source_proof', 'captured_at', 'source_record_id', 'source_platform']) {
    await db.schema.alterTable('consent_records').dropColumn(column).execute();
  }
  await db.schema.alterTable('api_keys').dropColumn('consent_purposes').execute();
}
