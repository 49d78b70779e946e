import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { Migrator, type Kysely, type Migration } from 'kysely';
import ts from 'typescript';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildPortvakt } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { deriveKey } from '../../src/crypto/derived-keys.ts';
import { seal } from '../../src/crypto/sealed-box.ts';
import { openStore } from '../../src/store/database.ts';
import type { Database } from '../../src/store/schema.ts';
import { MIGRATION_NAMES, MigrationError, migrateTo, migrateToLatest, migrationsAhead, pendingMigrations } from '../../src/store/migrate.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { countRows, fillEveryTable, readTables, unknownOverrides, type Overrides } from '../support/plausible-rows.ts';

const SECRET = 'upgrade-path-secret-that-is-long-enough-0123';
const ADMIN_KEY = 'upgrade-path-admin-key-0123456789abcdefghij';
const CUSTOMER_EMAIL = 'ann.old@old-release.example';
const MIGRATIONS_DIR = new URL('../../src/store/migrations/', import.meta.url).pathname;

/** A schema version a database may be at: the migrations that made it. */
interface Release {
  name: string;
  migrations: string[];
}

/**
 * Every migration is a release point (there are no tags): a database made by any of them, with a
 * row in every table it has, migrates to the latest schema, keeps its rows, and serves. So is the
 * release that had 0031 before 0030 landed (0030 was set aside for work built at the same time).
 */
const RELEASES: Release[] = [
  ...MIGRATION_NAMES.slice(0, -1).map((name, index) => ({ name, migrations: MIGRATION_NAMES.slice(0, index + 1) })),
  { name: '0031-segment-marks, before 0030-import-jobs landed', migrations: MIGRATION_NAMES.filter((name) => name !== '0030-import-jobs') },
];

/** The database a release made: its migrations, as they are in the migrations directory, applied. */
async function migrateAsRelease(db: Kysely<Database>, release: Release): Promise<void> {
  const modules = Object.fromEntries(await Promise.all(release.migrations.map(async (name) => [name, (await import(join(MIGRATIONS_DIR, `${name}.ts`))) as Migration] as const)));
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => modules }, migrationTableName: 'portvakt_migrations', migrationLockTableName: 'portvakt_migrations_lock' }).migrateToLatest();
  if (error) throw error;
}

/** Columns whose content the code reads with meaning; every other column gets a generic value. */
function overridesFor(signingKey: { kid: string; sealed: string }): Overrides {
  return {
    'customers.status': () => 'active',
    'customers.given_name': () => 'Ann',
    'customers.family_name': () => 'Old',
    'customers.pool': () => 'default',
    'customers.locale': () => 'sv',
    'customer_emails.pool': () => 'default',
    'customer_emails.email': () => CUSTOMER_EMAIL,
    // A reference into a system on the data map (0020 warns of the others).
    'data_systems.key': () => 'crm',
    'customer_references.system': () => 'crm',
    'clients.metadata': (row) => JSON.stringify({ client_id: row.client_id, client_name: 'Old shop', redirect_uris: ['https://shop.example/callback'], grant_types: ['authorization_code'], response_types: ['code'] }),
    'signing_keys.kid': () => signingKey.kid,
    'signing_keys.alg': () => 'RS256',
    'signing_keys.encrypted_jwk': () => signingKey.sealed,
    'signing_keys.status': () => 'active',
    'signing_keys.retired_at': () => null,
    'signing_keys.remove_after': () => null,
  };
}

/** An RS256 key as `SigningKeyStore` seals it under SECRET. */
async function sealedSigningKey(): Promise<{ kid: string; sealed: string }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, sealed: seal(deriveKey(SECRET, 'signing-key-encryption'), JSON.stringify({ ...jwk, kid, alg: 'RS256', use: 'sig' }), kid) };
}

/** Portvakt started on the database as it is, once `/readyz` answered 200; `work` gets its base URL. */
async function serving(database: TestDatabase, work: (base: string) => Promise<void>): Promise<void> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-upgrade-'));
  const portvakt = await buildPortvakt(
    loadConfig({ PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://localhost:${port}`, DATABASE_URL: database.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET, PORTVAKT_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', NODE_ENV: 'test' }),
  );
  try {
    await portvakt.app.listen({ port, host: '127.0.0.1' });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    await work(`http://127.0.0.1:${port}`);
  } finally {
    await portvakt.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What a newer release's migration leaves in the record: a name this code does not know. */
async function migratedByNewerRelease(database: TestDatabase): Promise<void> {
  const store = openStore(database.config);
  try {
    await (store.db as any).insertInto('portvakt_migrations').values({ name: '9999-a-newer-release', timestamp: new Date().toISOString() }).execute();
  } finally {
    await store.close();
  }
}

describe.each(DIALECTS)('a rolling upgrade on %s', (dialect) => {
  it('starts the older release on a database the newer one migrated, and leaves the newer migration as it is', async () => {
    const database = await createTestDatabase(dialect);
    onTestFinished(() => database.drop());
    const store = openStore(database.config);
    await migrateToLatest(store.db).finally(() => store.close());
    await migratedByNewerRelease(database);

    await serving(database, async (base) => {
      expect((await fetch(`${base}/.well-known/openid-configuration`)).status).toBe(200);
    });
    const after = openStore(database.config);
    try {
      expect(await migrationsAhead(after.db)).toEqual(['9999-a-newer-release']);
      expect(await migrateToLatest(after.db)).toEqual([]);
    } finally {
      await after.close();
    }
  });

  it('refuses a database with a newer release\'s migration that lacks one of its own', async () => {
    const database = await createTestDatabase(dialect);
    onTestFinished(() => database.drop());
    const store = openStore(database.config);
    try {
      await migrateTo(store.db, '0010-api-keys');
      await migratedByNewerRelease(database);
      const refusal = await migrateToLatest(store.db).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(MigrationError);
      expect((refusal as Error).message).toBe(`the database has migrations this release does not know (9999-a-newer-release) but lacks ${MIGRATION_NAMES.slice(10).join(', ')}`);
    } finally {
      await store.close();
    }
  });
});

describe.each(DIALECTS)('upgrade path on %s', (dialect) => {
  let overrides: Overrides;

  beforeAll(async () => {
    overrides = overridesFor(await sealedSigningKey());
  });

  it('names only columns the latest schema has in its overrides', async () => {
    const database = await createTestDatabase(dialect);
    const store = openStore(database.config);
    try {
      await migrateToLatest(store.db);
      expect(unknownOverrides(overrides, await readTables(store.db, dialect))).toEqual([]);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  describe.each(RELEASES)('from a database made by $name', (release) => {
    it('migrates to the latest schema with a row in every table, keeps each row, starts and serves the old customer', async () => {
      const database = await createTestDatabase(dialect);
      onTestFinished(() => database.drop());
      const { config, url } = database;
      const store = openStore(config);
      let before: Map<string, number>;
      let customerId: string;
      try {
        await migrateAsRelease(store.db, release);
        expect(await pendingMigrations(store.db)).toEqual(MIGRATION_NAMES.filter((name) => !release.migrations.includes(name)));
        before = await fillEveryTable(store.db, dialect, overrides);
        expect(before.size).toBe((await readTables(store.db, dialect)).length);
        for (const [table, rows] of before) expect(rows, table).toBeGreaterThan(0);
        customerId = (await store.db.selectFrom('customers').select('id').executeTakeFirstOrThrow()).id;

        expect(await migrateToLatest(store.db)).toEqual(MIGRATION_NAMES.filter((name) => !release.migrations.includes(name)));
        const latest = new Set((await readTables(store.db, dialect)).map((table) => table.name));
        const after = new Map<string, number>();
        for (const table of before.keys()) if (latest.has(table)) after.set(table, await countRows(store.db, table));
        expect(after).toEqual(new Map([...before].filter(([table]) => latest.has(table))));
      } finally {
        await store.close();
      }

      await serving(database, async (base) => {
        const answer = await fetch(`${base}/api/v1/customers/${customerId}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        expect(answer.status).toBe(200);
        expect(await answer.json()).toMatchObject({ id: customerId, email: CUSTOMER_EMAIL, given_name: 'Ann', family_name: 'Old', status: 'active' });
      });
    });
  });
});

/**
 * Expand, then contract (README, Upgrades): from issue 26 on, a migration keeps the release before
 * it working on the migrated database, since that release still runs on the other nodes during a
 * rolling upgrade. Its `up` may add tables, indexes and columns old code can ignore, but not drop
 * or rename what old code reads, nor add a NOT NULL column without a default that old code's
 * INSERTs would leave out. The drop comes in a later release, once no release in use reads it.
 */
const EXPAND_ONLY_AFTER = '0029-import-runs';

/** What in a migration's `up` would break the release before it, each with the code that does it. */
function contractions(text: string): string[] {
  const source = ts.createSourceFile('migration.ts', text, ts.ScriptTarget.Latest, true);
  const up = source.statements.find((statement): statement is ts.FunctionDeclaration => ts.isFunctionDeclaration(statement) && statement.name?.text === 'up');
  if (!up?.body) return ['no up function'];
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const chain = node.expression.expression.getText(source);
      if (['dropTable', 'dropColumn', 'renameTo', 'renameColumn', 'alterColumn', 'dropConstraint', 'modifyColumn'].includes(method)) found.push(node.getText(source));
      if (method === 'addColumn' && chain.includes('alterTable(')) {
        const options = node.arguments[2]?.getText(source) ?? '';
        if (options.includes('notNull()') && !options.includes('defaultTo(')) found.push(node.getText(source));
      }
    }
    if (ts.isTaggedTemplateExpression(node) && /\b(drop|rename)\b/i.test(node.template.getText(source))) found.push(node.getText(source));
    ts.forEachChild(node, visit);
  };
  visit(up.body);
  return found;
}

describe('migrations from issue 26 on', () => {
  const files = readdirSync(MIGRATIONS_DIR).filter((file) => /^\d{4}-[a-z0-9-]+\.ts$/.test(file) && !file.endsWith('.test.ts'));

  it('are every migration after ' + EXPAND_ONLY_AFTER + ', read from the migrations directory', () => {
    expect(files.map((file) => file.replace(/\.ts$/, ''))).toEqual([...MIGRATION_NAMES].sort());
    expect(files.some((file) => file > EXPAND_ONLY_AFTER)).toBe(true);
  });

  it('only expand the schema, so the release before keeps working during a rolling upgrade', () => {
    const found = Object.fromEntries(files.filter((file) => file > EXPAND_ONLY_AFTER).map((file) => [file, contractions(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'))]));
    expect(Object.entries(found).filter(([, calls]) => calls.length > 0)).toEqual([]);
  });

  it('finds what would break the release before in an up function', () => {
    const migration = (body: string) => `export async function up(db) {\n${body}\n}\nexport async function down(db) { await db.schema.dropTable('x').execute(); }`;
    expect(contractions(migration("await db.schema.createTable('t').addColumn('a', 'text', (c) => c.notNull()).execute();"))).toEqual([]);
    expect(contractions(migration("await db.schema.alterTable('t').addColumn('a', 'text', (c) => c.notNull().defaultTo('x')).execute();"))).toEqual([]);
    expect(contractions(migration("await db.schema.alterTable('t').addColumn('a', 'text').execute();"))).toEqual([]);
    expect(contractions(migration("await db.schema.alterTable('t').addColumn('a', 'text', (c) => c.notNull()).execute();"))).toHaveLength(1);
    expect(contractions(migration("await db.schema.alterTable('t').dropColumn('a').execute();"))).toHaveLength(1);
    expect(contractions(migration("await db.schema.alterTable('t').renameColumn('a', 'b').execute();"))).toHaveLength(1);
    expect(contractions(migration("await db.schema.dropTable('t').execute();"))).toHaveLength(1);
    expect(contractions(migration('await sql`alter table t drop column a`.execute(db);'))).toHaveLength(1);
  });
});
