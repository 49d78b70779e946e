import { sql, type Kysely } from 'kysely';

/**
 * The audit log: append-only entries, each carrying the hash of the one before (a chain), and a
 * one-row head that appenders take in turn, so the chain never forks even with several nodes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('subject_type', 'text')
    .addColumn('subject_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_subject').on('audit_log').columns(['subject_type', 'subject_id', 'seq']).execute();

  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS})`.execute(db);
}

/** The "previous hash" of the first entry. */
export const GENESIS = 'sha256:genesis';

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_head').ifExists().execute();
  await db.schema.dropTable('audit_log').ifExists().execute();
}
