import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/load-config.ts';
import { GroupCommit } from './group-commit.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /**
   * On SQLite, writes committed in batches (one transaction, one fsync per turn of the event loop),
   * each caller answered after its batch's commit: oidc-provider's artifacts are written through it.
   * None on PostgreSQL, where the artifact upserts are gathered instead (src/oidc/artifact-upserts.ts;
   * README, "Durability of tokens and sessions").
   */
  groupCommit: GroupCommit | undefined;
  /** Answers when the database takes a query (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * `onIdleError` hears about failures of idle PostgreSQL connections (a restarted or failed-over
 * server): the pool drops such a connection and opens a new one on the next query; unheard, the
 * error would end the process.
 */
export function openStore(config: DatabaseConfig, onIdleError: (error: Error) => void = () => {}): Store {
  const { db, dialect, groupCommit } = config.kind === 'sqlite' ? openSqlite(config.file) : openPostgres(config.url, config.poolMax ?? 10, onIdleError);
  return {
    db,
    dialect,
    groupCommit,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await groupCommit?.drained();
      await db.destroy();
    },
  };
}

function openSqlite(file: string): { db: Kysely<Database>; dialect: Dialect; groupCommit: GroupCommit } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SQLite(file);
  // Consent and erasure records must survive a crash: WAL with a full fsync on every commit.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // Reads of a large database (a million customers: a 1.2 GB file) through memory-mapped pages and
  // a 32 MiB page cache instead of a read() per page: lookups stay as fast as with a thousand. The
  // map (2 GiB, SQLite's usual ceiling) is address space, not memory: the kernel's page cache holds
  // what is read, as it would for read(). With 256 MiB, a name search's page of twenty customers at
  // a million read past the map and its p95 rose 1.26× over a thousand (bench/customer-search.ts).
  // Writes still go through the WAL with a full fsync; mapping is used for reading only.
  database.pragma('cache_size = -32768');
  database.pragma('mmap_size = 2147483648');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) });
  // A batch holds Kysely's one connection while it runs on the handle, as a Kysely query would.
  const groupCommit = new GroupCommit(database, (work) => db.connection().execute(async () => work()));
  return { db, dialect: 'sqlite', groupCommit };
}

/**
 * Kysely's SQLite transactions begun IMMEDIATE: the write lock is taken at BEGIN, waiting up to
 * `busy_timeout` for another process (the CLI's `secret rotate`, `import` or `backup` beside a
 * running server). Kysely's plain BEGIN read first and asked for the lock at the first write,
 * which SQLite refuses at once ("database is locked", no wait) when another process wrote in
 * between: a sign-up answered 500 while `secret rotate` ran (test/e2e/backup-restore.test.ts).
 * Within one process every transaction already runs one at a time on the one connection.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

function openPostgres(url: string, poolMax: number, onIdleError: (error: Error) => void): { db: Kysely<Database>; dialect: Dialect; groupCommit: undefined } {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    // Every query here is a short indexed lookup. PostgreSQL's JIT compiles any plan whose cost
    // estimate passes a threshold, which a cursor page over a large table does: measured, 170 ms
    // of compiling for a 5 ms query (the consent audience export), on every page.
    // The same lookups for many keys at once (a batch of 500 signals reads its customers' grants,
    // signals and memberships) are index scans only at a random page's cost of SSD or memory:
    // PostgreSQL's default (4, for spinning disks) planned whole-table scans instead, measured 13
    // against 3 ms for 500 customers' grants and 27 against 6 ms for their signals (issue 22).
    options: '-c jit=off -c random_page_cost=1.1',
    // Times are epoch milliseconds in bigint columns; they fit a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', onIdleError);
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', groupCommit: undefined };
}
