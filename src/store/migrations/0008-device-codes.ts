import type { Kysely } from 'kysely';

/** The device flow finds a device code by the code the customer types: an index, not a scan of every artifact. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('oidc_artifacts_user_code').on('oidc_artifacts').columns(['model', 'user_code']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('oidc_artifacts_user_code').execute();
}
