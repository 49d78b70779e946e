import type { Kysely } from 'kysely';

/**
 * The profile schema (issue 8): attributes beyond the core fields, with a type and when they are
 * asked; and each customer's values. Built-in attributes (address, birthdate) have a row only
 * once an operator changes how they are asked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('profile_attributes')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('options', 'text')
    .addColumn('ask', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('customer_attributes')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_attributes_pk', ['customer_id', 'key'])
    .execute();
  await db.schema.createIndex('customer_attributes_key').on('customer_attributes').column('key').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customer_attributes').ifExists().execute();
  await db.schema.dropTable('profile_attributes').ifExists().execute();
}
