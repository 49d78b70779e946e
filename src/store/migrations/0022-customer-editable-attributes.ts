import type { Kysely } from 'kysely';

/**
 * Whether the customer may change an attribute on their own profile page (`/account/profile`):
 * 1 or 0 as set in the profile schema, or null for the default (editable unless it is never asked
 * of the customer, `ask: never`: such an attribute is set by the group's systems).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('profile_attributes').addColumn('customer_editable', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('profile_attributes').dropColumn('customer_editable').execute();
}
