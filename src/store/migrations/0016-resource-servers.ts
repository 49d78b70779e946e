import type { Kysely } from 'kysely';

/**
 * Resource servers (issue 19): the group's own APIs, each named by its identifier URI (RFC 8707
 * `resource`), with the scopes it defines, the format and lifetime of its access tokens and the
 * clients that may ask for them. Configuration only: no customer data.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('resource_servers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('identifier', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('token_format', 'text', (c) => c.notNull())
    .addColumn('access_token_ttl', 'integer', (c) => c.notNull())
    .addColumn('allowed_clients', 'text', (c) => c.notNull())
    .addColumn('introspection_clients', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('resource_servers').ifExists().execute();
}
