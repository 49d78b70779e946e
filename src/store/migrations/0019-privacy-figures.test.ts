import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator, type Migration } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/databases.ts';
import { ConsentFigures } from '../../consent/consent-figures.ts';
import { ConsentPurposes } from '../../consent/consent-purposes.ts';
import { CustomerCounts } from '../../customers/customer-counts.ts';
import { AuditLog } from '../../events/audit-log.ts';
import { openStore, type Store } from '../database.ts';
import { migrateToLatest } from '../migrate.ts';

const HERE = new URL('.', import.meta.url).pathname;

/** The migrations that came before this one, as they ran on a database being upgraded. */
async function migrationsBefore(name: string): Promise<Record<string, Migration>> {
  const files = readdirSync(HERE).filter((file) => /^\d{4}-[a-z0-9-]+\.ts$/.test(file) && !file.endsWith('.test.ts') && file < name);
  return Object.fromEntries(await Promise.all(files.map(async (file) => [file.replace(/\.ts$/, ''), (await import(join(HERE, file))) as Migration] as const)));
}

/** An upgrade to 0019 counts what the database already holds: customers, references, and each customer's current consent decisions by brand. */
describe.each(DIALECTS)('migration 0019 (privacy figures) on a database with data, on %s', (dialect) => {
  let database: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    store = openStore(database.config);
    const before = await migrationsBefore('0019');
    const { error } = await new Migrator({ db: store.db, provider: { getMigrations: async () => before }, migrationTableName: 'portvakt_migrations', migrationLockTableName: 'portvakt_migrations_lock' }).migrateToLatest();
    expect(error).toBeUndefined();

    const db = store.db;
    const ids = ['a', 'b', 'c'].map((letter) => `00000000-0000-4000-8000-00000000000${letter}`);
    await db.insertInto('customers').values(ids.map((id) => ({ id, pool: 'default', status: 'active' as const, given_name: null, family_name: null, locale: null, version: 1, created_at: 1, updated_at: 1 }))).execute();
    await db
      .insertInto('customer_references')
      .values([
        { customer_id: ids[0]!, system: 'crm', reference: 'C-1', created_at: 1 },
        { customer_id: ids[1]!, system: 'crm', reference: 'C-2', created_at: 1 },
        { customer_id: ids[1]!, system: 'loyalty', reference: 'L-2', created_at: 1 },
      ])
      .execute();
    const client = (client_id: string, brand: string | null) => ({ client_id, client_secret_hash: null, metadata: JSON.stringify({ client_name: client_id, ...(brand ? { brand } : {}) }), first_party: 1, version: 1, created_at: 1, updated_at: 1 });
    await db.insertInto('clients').values([client('kitchen-shop', 'kok'), client('group-shop', null)]).execute();
    await db.insertInto('consent_purposes').values([{ key: 'newsletter', required: 0, brand: null, current_version: 1, created_at: 1 }, { key: 'profiling', required: 0, brand: null, current_version: 1, created_at: 1 }] as never).execute();
    await db.insertInto('consent_purpose_versions').values(['newsletter', 'profiling'].map((purpose_key) => ({ purpose_key, version: 1, texts: '{}', text_hash: 'h', requires_fresh_consent: 0, created_at: 1 })) as never).execute();
    let seq = 0;
    const decided = (customer: string, purpose: string, decision: 'granted' | 'declined' | 'withdrawn', client: string | null) => ({
      id: `cns_${++seq}`, seq, customer_id: customer, purpose_key: purpose, version: 1, decision, text_hash: 'h', locale: 'sv', channel: 'web' as const, client_id: client, actor_type: 'customer' as const, actor_id: customer, ip_hash: null, recorded_at: seq,
    });
    await db
      .insertInto('consent_records')
      .values([
        decided(ids[0]!, 'newsletter', 'granted', 'kitchen-shop'),
        decided(ids[1]!, 'newsletter', 'granted', 'kitchen-shop'),
        decided(ids[2]!, 'newsletter', 'declined', 'group-shop'),
        decided(ids[0]!, 'newsletter', 'withdrawn', null),
        decided(ids[0]!, 'profiling', 'granted', 'group-shop'),
      ] as never)
      .execute();
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('starts the data map counts from the customers and references there are', async () => {
    expect(Object.fromEntries(await new CustomerCounts(store.db).totals())).toEqual({ customers: 3, 'reference:crm': 2, 'reference:loyalty': 1 });
  });

  it("gives earlier records their client's brand, and counts each customer's latest decision once", async () => {
    const brands = await store.db.selectFrom('consent_records').select(['id', 'brand']).orderBy('seq').execute();
    expect(brands.map((row) => row.brand)).toEqual(['kok', 'kok', null, null, null]);
    const figures = await new ConsentFigures(store.db, new ConsentPurposes(store.db, new AuditLog(store.db))).list();
    expect(figures.map(({ purpose, granted, declined, withdrawn, byBrand }) => ({ purpose, granted, declined, withdrawn, byBrand: byBrand.map((entry) => [entry.brand, entry.granted, entry.declined, entry.withdrawn]) }))).toEqual([
      { purpose: 'newsletter', granted: 1, declined: 1, withdrawn: 1, byBrand: [[null, 0, 1, 1], ['kok', 1, 0, 0]] },
      { purpose: 'profiling', granted: 1, declined: 0, withdrawn: 0, byBrand: [[null, 1, 0, 0]] },
    ]);
  });
});
