import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { MIGRATION_NAMES, migrateTo } from '../../src/store/migrate.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { readTables } from '../support/plausible-rows.ts';

const CLI = join(new URL('../..', import.meta.url).pathname, 'bin/portvakt');

function portvakt(database: TestDatabase, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(CLI, args, { encoding: 'utf8', env: { ...process.env, DATABASE_URL: database.url, PORTVAKT_SECRET: 'dry-run-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The data tables and the record of applied migrations, as they are. */
async function schemaOf(database: TestDatabase, dialect: TestDatabase['config']['kind']): Promise<{ tables: string[]; applied: string[] }> {
  const store = openStore(database.config);
  try {
    const tables = (await readTables(store.db, dialect)).map((table) => table.name).sort();
    const applied = (await store.db.introspection.getTables()).some((table) => table.name === 'portvakt_migrations')
      ? (await (store.db as any).selectFrom('portvakt_migrations').select('name').orderBy('name').execute()).map((row: { name: string }) => row.name)
      : [];
    return { tables, applied };
  } finally {
    await store.close();
  }
}

describe.each(DIALECTS)('portvakt migrate --dry-run on %s', (dialect) => {
  async function freshDatabase(): Promise<TestDatabase> {
    const database = await createTestDatabase(dialect);
    onTestFinished(() => database.drop());
    return database;
  }

  it('lists every migration for an empty database and creates nothing, not even the record of migrations', async () => {
    const database = await freshDatabase();
    const run = portvakt(database, 'migrate', '--dry-run');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${MIGRATION_NAMES.length} migrations would run on ${dialect}:\n${MIGRATION_NAMES.map((name) => `  ${name}\n`).join('')}`);
    expect(await schemaOf(database, dialect)).toEqual({ tables: [], applied: [] });
  });

  it('lists only the migrations after the ones applied, and applies none of them', async () => {
    const database = await freshDatabase();
    const store = openStore(database.config);
    await migrateTo(store.db, '0010-api-keys').finally(() => store.close());
    const before = await schemaOf(database, dialect);
    expect(before.applied).toEqual(MIGRATION_NAMES.slice(0, 10));

    const run = portvakt(database, 'migrate', '--dry-run');
    expect(run.status).toBe(0);
    const pending = MIGRATION_NAMES.slice(10);
    expect(run.stdout).toBe(`${pending.length} migrations would run on ${dialect}:\n${pending.map((name) => `  ${name}\n`).join('')}`);
    expect(await schemaOf(database, dialect)).toEqual(before);

    // The real run then applies exactly what the dry run listed.
    const migrated = portvakt(database, 'migrate');
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toBe(`migrations up to date on ${dialect}: ${pending.join(', ')}\n`);
    expect(portvakt(database, 'migrate', '--dry-run').stdout).toBe(`migrations up to date on ${dialect}; none would run\n`);
  });
});
