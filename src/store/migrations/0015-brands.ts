import type { Kysely } from 'kysely';

/**
 * Brands (issue 8): the chains of the group, each with its name, colours, logo and sender; and the
 * brands each customer has used their group account at (for the one-time "your account works here
 * too" notice). `brand` '' is the group itself.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('brands')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('accent_color', 'text', (c) => c.notNull())
    .addColumn('logo_type', 'text')
    .addColumn('logo', 'text')
    .addColumn('sender', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('customer_brands')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('brand', 'text', (c) => c.notNull())
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_brands_pk', ['customer_id', 'brand'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customer_brands').ifExists().execute();
  await db.schema.dropTable('brands').ifExists().execute();
}
