import type { Kysely } from 'kysely';

/**
 * Connections of every kind (Google, Apple, Microsoft, Meta beside generic OpenID), each shown only
 * at the clients and brands it is for. `settings`: the kind's own non-secret settings as JSON;
 * `clients` / `brands`: JSON arrays, null for all.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('connections').addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema.alterTable('connections').addColumn('clients', 'text').execute();
  await db.schema.alterTable('connections').addColumn('brands', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('connections').dropColumn('brands').execute();
  await db.schema.alterTable('connections').dropColumn('clients').execute();
  await db.schema.alterTable('connections').dropColumn('settings').execute();
}
