import type { Kysely } from 'kysely';

/**
 * Issue 26, `portvakt secret rotate`: the keys of stored HMACs and pseudonyms (crypto/secret-keys.ts,
 * HASH_PURPOSES) outlive a change of PORTVAKT_SECRET, sealed under the current one. Empty until the
 * first rotation; until then the keys are derived from the secret as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('hash_keys')
    .addColumn('purpose', 'text', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('hash_keys').ifExists().execute();
}
