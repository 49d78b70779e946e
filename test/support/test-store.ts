import type { Store } from '../../src/store/database.ts';
import { openStore } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { createTestDatabase, type TestDatabase, type TestDialect } from './databases.ts';

/** A migrated store on a fresh database of the dialect, for repository contract tests. */
export async function openTestStore(dialect: TestDialect): Promise<{ store: Store; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase(dialect);
  const store = openStore(database.config);
  await migrateToLatest(store.db);
  return {
    store,
    database,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}
