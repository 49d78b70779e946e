import type { Kysely } from 'kysely';

/**
 * Moving in (issue 24): `portvakt import` keeps, per file (its SHA-256 fingerprint) and pool, the
 * last line whose batch committed (`import_runs`), and the outcome of every line that was not
 * simply accepted (`import_run_lines`: line number, outcome, field and reason; no personal data),
 * written in the batch's own transaction. A run stopped anywhere (kill -9) continues after the
 * last committed line, and its report is whole. Imported password hashes need no column: the
 * password row holds them with their format (`import:<format>:<policy>:…`, credentials/imported-hashes.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('import_runs')
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('committed_line', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addPrimaryKeyConstraint('import_runs_pk', ['fingerprint', 'pool'])
    .execute();
  await db.schema
    .createTable('import_run_lines')
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('line', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('field', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_run_lines_pk', ['fingerprint', 'pool', 'line'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('import_run_lines').execute();
  await db.schema.dropTable('import_runs').execute();
}
