import type { Kysely } from 'kysely';

/**
 * Moving in over the API (issue 24): `POST /api/v1/imports` runs an uploaded file as a job on the
 * node that took it. `import_jobs` is what every node answers `GET /api/v1/imports/:id` from: the
 * job's state, the options it runs with, how far it has come, its summary when done, and a lease the
 * running node renews (a job whose lease ran out was interrupted; the node holding its upload
 * continues it at its next start). No personal data: the upload itself stays in that node's data
 * directory until the job ends; the summary holds counts only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('import_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('upload_bytes', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('lines_done', 'bigint', (c) => c.notNull())
    .addColumn('bytes_done', 'bigint', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('error', 'text')
    .addColumn('operator', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('import_jobs_created').on('import_jobs').columns(['created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('import_jobs').execute();
}
