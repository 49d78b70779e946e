import type { Kysely } from 'kysely';

/**
 * Account lifecycle: phone numbers, one-time codes and links, the per-interaction flow state of
 * the hosted pages, and the outbox through which e-mail and SMS are delivered with retries.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customer_phones')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_phones_pk', ['pool', 'phone'])
    .execute();
  await db.schema.createIndex('customer_phones_customer').on('customer_phones').column('customer_id').unique().execute();

  // Credentials other than the password (TOTP secret, recovery codes, passkeys) carry a label,
  // a lookup key (passkey credential id) and a use counter/timestamp.
  await db.schema.alterTable('credentials').addColumn('label', 'text').execute();
  await db.schema.alterTable('credentials').addColumn('lookup_key', 'text').execute();
  await db.schema.alterTable('credentials').addColumn('counter', 'bigint').execute();
  await db.schema.alterTable('credentials').addColumn('last_used_at', 'bigint').execute();
  await db.schema.createIndex('credentials_lookup').on('credentials').columns(['type', 'lookup_key']).unique().execute();

  await db.schema
    .createTable('one_time_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text')
    .addColumn('customer_id', 'text', (c) => c.references('customers.id').onDelete('cascade'))
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('link_hash', 'text', (c) => c.notNull())
    .addColumn('payload', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('one_time_codes_link').on('one_time_codes').column('link_hash').unique().execute();
  await db.schema.createIndex('one_time_codes_flow').on('one_time_codes').columns(['flow_id', 'purpose']).execute();
  await db.schema.createIndex('one_time_codes_expiry').on('one_time_codes').column('expires_at').execute();

  await db.schema
    .createTable('interaction_flows')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.references('customers.id').onDelete('cascade'))
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('interaction_flows_expiry').on('interaction_flows').column('expires_at').execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();

  // The device behind each browser session (oidc-provider's Session keeps no request details).
  await db.schema
    .createTable('session_devices')
    .addColumn('session_uid', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('session_devices_account').on('session_devices').column('account_id').execute();

  await db.schema
    .createTable('dev_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['dev_outbox', 'session_devices', 'outbox', 'interaction_flows', 'one_time_codes', 'customer_phones']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.dropIndex('credentials_lookup').ifExists().execute();
  for (const column of ['last_used_at', 'counter', 'lookup_key', 'label']) {
    await db.schema.alterTable('credentials').dropColumn(column).execute();
  }
}
