import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator, type Migration } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/databases.ts';
import { openStore, type Store } from '../database.ts';
import { migrateToLatest } from '../migrate.ts';

const HERE = new URL('.', import.meta.url).pathname;

async function migrationsBefore(name: string): Promise<Record<string, Migration>> {
  const files = readdirSync(HERE).filter((file) => /^\d{4}-[a-z0-9-]+\.ts$/.test(file) && !file.endsWith('.test.ts') && file < name);
  return Object.fromEntries(await Promise.all(files.map(async (file) => [file.replace(/\.ts$/, ''), (await import(join(HERE, file))) as Migration] as const)));
}

/** An upgrade to 0020 lists the references into systems not on the data map, and keeps them. */
describe.each(DIALECTS)('migration 0020 (unmapped references) on %s', (dialect) => {
  let database: TestDatabase;
  let store: Store;
  let written = '';

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    store = openStore(database.config);
    const before = await migrationsBefore('0020');
    const { error } = await new Migrator({ db: store.db, provider: { getMigrations: async () => before }, migrationTableName: 'portvakt_migrations', migrationLockTableName: 'portvakt_migrations_lock' }).migrateToLatest();
    expect(error).toBeUndefined();
    const db = store.db;
    const ids = ['a', 'b'].map((letter) => `00000000-0000-4000-8000-00000000000${letter}`);
    await db.insertInto('customers').values(ids.map((id) => ({ id, pool: 'default', status: 'active' as const, given_name: null, family_name: null, locale: null, version: 1, created_at: 1, updated_at: 1 }))).execute();
    await db.insertInto('data_systems').values({ key: 'crm', name: 'CRM', categories: '["contact"]', legal_basis: 'contract', retention: null, access: 'manual', endpoint: null, secret: null, checklist: '["Delete"]', version: 1, created_at: 1, updated_at: 1 }).execute();
    await db
      .insertInto('customer_references')
      .values([
        { customer_id: ids[0]!, system: 'crm', reference: 'C-1', created_at: 1 },
        { customer_id: ids[0]!, system: 'legacy_shop', reference: 'W-1', created_at: 1 },
        { customer_id: ids[1]!, system: 'legacy_shop', reference: 'W-2', created_at: 1 },
        { customer_id: ids[1]!, system: 'old_loyalty', reference: 'L-2', created_at: 1 },
      ])
      .execute();
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
    try {
      await migrateToLatest(db);
    } finally {
      spy.mockRestore();
    }
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('names each unmapped system with its number of customers, and not the mapped one', () => {
    expect(written).toContain('customer references in systems not on the data map, kept and not deleted: legacy_shop (2), old_loyalty (1).');
    expect(written).not.toContain('crm');
  });

  it('deletes nothing', async () => {
    expect(await store.db.selectFrom('customer_references').select(['system', 'reference']).orderBy('reference').execute()).toEqual([
      { system: 'crm', reference: 'C-1' },
      { system: 'old_loyalty', reference: 'L-2' },
      { system: 'legacy_shop', reference: 'W-1' },
      { system: 'legacy_shop', reference: 'W-2' },
    ]);
  });
});
