import type { Kysely } from 'kysely';

/**
 * The consent audience export reads the ledger as (purpose, customer, newest record first): the
 * first record of each customer is their current decision, so a page is one ordered range scan.
 * This index replaces 0005's ascending (purpose, customer, seq), which needed a "latest record"
 * subquery per row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('consent_records_latest').on('consent_records').columns(['purpose_key', 'customer_id', 'seq desc']).execute();
  await db.schema.dropIndex('consent_records_purpose').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('consent_records_purpose').on('consent_records').columns(['purpose_key', 'customer_id', 'seq']).execute();
  await db.schema.dropIndex('consent_records_latest').execute();
}
