import type { Kysely } from 'kysely';

/**
 * Portvakt as a SAML 2.0 identity provider (saml/):
 * - `saml_service_providers`: the services registered through the management API; `id` is also the
 *   client id of the built-in OpenID client each one signs in through (`saml-…`). JSON lists:
 *   `acs_urls` (exact match), `attributes` (the release list). No customer data.
 * - `saml_signing_keys`: the IdP's RSA key (sealed with a key derived from PORTVAKT_SECRET) and its
 *   self-signed certificate, published in `/saml/metadata`.
 * - `saml_request_ids`: the AuthnRequest IDs seen per service provider until they would be too old
 *   anyway (replay refusal across nodes). No customer data.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saml_service_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entity_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('acs_urls', 'text', (c) => c.notNull())
    .addColumn('certificate', 'text')
    .addColumn('authn_requests_signed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('nameid_format', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('first_party', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('brand', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('saml_signing_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('encrypted_key', 'text', (c) => c.notNull())
    .addColumn('certificate', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('saml_request_ids')
    .addColumn('service_provider', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('saml_request_ids_pk', ['service_provider', 'request_id'])
    .execute();
  await db.schema.createIndex('saml_request_ids_expiry').on('saml_request_ids').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('saml_request_ids').execute();
  await db.schema.dropTable('saml_signing_keys').execute();
  await db.schema.dropTable('saml_service_providers').execute();
}
