import { CompiledQuery, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import { foldedWords, foldName, nameKeys, nameWords, pairPrefix, prefixRange, wordPrefix } from '../i18n/name-folding.ts';
import { AuditLog, OPERATOR } from '../events/audit-log.ts';
import { revokeAccountArtifacts } from '../oidc/artifact-adapter.ts';
import type { Store } from '../store/database.ts';
import * as customerSearchMigration from '../store/migrations/0018-customer-search.ts';
import type { Database } from '../store/schema.ts';
import { CustomerSearch } from './customer-search.ts';
import { CustomerStore } from './customer-store.ts';
import { Customers } from './customers.ts';

describe('name folding', () => {
  it('folds case, accents and Nordic letters, and cuts names into words', () => {
    expect(['Öberg', 'ÖB', 'öb', 'Åsa', 'Ängel', 'Müller', 'Ærø', 'Straße', 'Łukasz', 'İlkay'].map(foldName)).toEqual(['oberg', 'ob', 'ob', 'asa', 'angel', 'muller', 'aero', 'strasse', 'lukasz', 'ilkay']);
    expect(foldedWords("Anna-Karin  D'Souza von Sydow")).toEqual(['anna', 'karin', 'dsouza', 'von', 'sydow']);
    expect(nameWords('Anna Anna', 'Andersson')).toEqual(['anna', 'andersson']);
    expect(nameWords(null, null)).toEqual([]);
    expect(prefixRange('an')).toEqual({ low: 'an', high: 'ao' });
    expect(prefixRange('a\ud7ff')).toEqual({ low: 'a\ud7ff', high: 'a\ue000' });
    expect(nameKeys('default', 'Anna', 'Andersson')).toEqual(['default/w/anna', 'default/w/andersson', 'default/p/ann/andersson', 'default/p/and/anna']);
    expect(nameKeys('default', 'Åsa', null)).toEqual(['default/w/asa']);
    expect(nameKeys('default', 'A B C D E F G', 'H')).toHaveLength(8 + 5 * 4);
    expect([wordPrefix('default', 'ann'), pairPrefix('default', 'anna', 'ander')]).toEqual(['default/w/ann', 'default/p/ann/ander']);
    expect(() => wordPrefix('default/p', 'ann')).toThrow();
  });
});

describe.each(DIALECTS)('customer search by name on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let repo: CustomerStore;
  let customers: Customers;
  let search: CustomerSearch;
  const found = async (name: string) => (await search.byName(name, 100)).customers.map((customer) => customer.email).sort();

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    repo = new CustomerStore(store.db);
    customers = new Customers(repo, 8, (id, trx) => revokeAccountArtifacts(trx, id), new AuditLog(store.db));
    search = new CustomerSearch(repo);
  });
  afterAll(() => close());

  it('finds names filled in on a claim (fillNames) and seeded customers (insertSeeded)', async () => {
    const created = await customers.create({ email: 'filled@example.se', email_verified: true, family_name: 'Fyllnadsson' }, OPERATOR);
    expect(await found('fyll')).toEqual(['filled@example.se']);
    expect(await repo.transaction((trx) => repo.fillNames(created.id, { given_name: 'Frida' }, created.version, Date.now(), trx))).toBe(true);
    expect(await found('frida fyll')).toEqual(['filled@example.se']);
    // A fill over a stale version writes nothing, the words included.
    expect(await repo.transaction((trx) => repo.fillNames(created.id, { given_name: 'Stale' }, created.version, Date.now(), trx))).toBe(false);
    expect(await found('stale')).toEqual([]);

    await repo.transaction((trx) => CustomerStore.insertSeeded(trx, [{ id: crypto.randomUUID(), email: 'seeded1@seed.example' }, { id: crypto.randomUUID(), email: 'seeded2@seed.example' }], 'default', Date.now()));
    expect(await found('seed cust')).toEqual(['seeded1@seed.example', 'seeded2@seed.example']);
  });

  it('keeps the words out of a rolled-back change', async () => {
    const created = await customers.create({ email: 'rollback@example.se', email_verified: true, given_name: 'Rolf' }, OPERATOR);
    await expect(
      repo.transaction(async (trx) => {
        await repo.update({ ...created, givenName: 'Tillbakadragen', updatedAt: Date.now() }, trx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await found('tillbaka')).toEqual([]);
    expect(await found('rolf')).toEqual(['rollback@example.se']);
  });

  it('writes the words of customers that existed before the migration', async () => {
    await customers.create({ email: 'before@example.se', email_verified: true, given_name: 'Bertil', family_name: 'Äldre' }, OPERATOR);
    const db = store.db as unknown as Kysely<unknown>;
    await customerSearchMigration.down(db);
    await customerSearchMigration.up(db);
    expect(await found('bertil äld')).toEqual(['before@example.se']);
    expect(await found('frida fyll')).toEqual(['filled@example.se']);
  });

  it('reads one ordered index range scan, from the start or from where the last page ended: no table scan, no sort', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: crypto.randomUUID(), email: `plan${i}@example.se` }));
    await repo.transaction((trx) => CustomerStore.insertSeeded(trx, rows, 'default', Date.now()));
    await sql`analyze`.execute(store.db);
    const query = { scan: pairPrefix('default', 'seed', 'cu'), checks: [wordPrefix('default', 'seed')] };
    const first = await explain(store.db, dialect, repo.names.pageQuery(query, 21).compile());
    const further = await explain(store.db, dialect, repo.names.pageQuery(query, 21, { key: 'default/p/see/customer', customerId: rows[0]!.id }).compile());
    if (dialect === 'sqlite') {
      expect(first).toMatch(/^SEARCH w USING PRIMARY KEY \(search_key>\? AND search_key<\?\)$/m);
      expect(further).toMatch(/^SEARCH w USING PRIMARY KEY \(\(search_key,customer_id\)>\(\?,\?\) AND search_key<\?\)$/m);
      for (const plan of [first, further]) expect(plan).not.toMatch(/SCAN|TEMP B-TREE/);
    } else {
      expect(first).toMatch(/Index Only Scan using customer_name_keys_pk on customer_name_keys w\s+Index Cond: \(\(search_key >= .*\) AND \(search_key < /);
      expect(further).toMatch(/Index Only Scan using customer_name_keys_pk on customer_name_keys w\s+Index Cond: \(\(ROW\(search_key, customer_id\) > ROW\(/);
      for (const plan of [first, further]) expect(plan).not.toMatch(/Seq Scan|Sort/);
    }
    // A page starts where the last ended, even when the cursor came from another search.
    const page = await repo.names.page(query, 5, { key: 'default/a', customerId: rows[0]!.id });
    expect(page.map((position) => position.key)).toEqual(Array(5).fill('default/p/see/customer'));
  });
});

/** The plan of a compiled query; on PostgreSQL with sequential scans off, as on a large table a small one would otherwise be read whole. */
async function explain(db: Kysely<Database>, dialect: string, query: CompiledQuery): Promise<string> {
  if (dialect === 'sqlite') {
    const result = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    return result.rows.map((row) => row.detail).join('\n');
  }
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    const result = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain (costs off) ${query.sql}`, [...query.parameters]));
    return result.rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}
