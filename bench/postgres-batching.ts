import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { upsertArtifacts } from '../src/oidc/artifact-adapter.ts';
import { ArtifactUpserts, type ArtifactRow } from '../src/oidc/artifact-upserts.ts';
import { openStore } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { createTestDatabase } from '../test/support/databases.ts';
import { round } from './load-loops.ts';

/**
 * `node bench/postgres-batching.ts`: would a group commit help on PostgreSQL? Token rows as the
 * artifact adapter writes them (one upsert each, autocommit, the store's pool of 10) against the
 * same rows gathered per turn of the event loop into one multi-row upsert, `WRITERS` writers each
 * waiting for its row before the next, in alternating rounds. Not part of `npm run bench`; the
 * answer is in README ("Durability of tokens and sessions").
 */
const WRITERS = Number(process.env.BENCH_WRITERS ?? 64);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const database = await createTestDatabase('postgres');
const store = openStore(database.config);
await migrateToLatest(store.db);

const row = (): ArtifactRow => {
  const id = randomBytes(32).toString('base64url');
  return { model: 'ClientCredentials', id, payload: JSON.stringify({ jti: id, clientId: 'bench', kind: 'ClientCredentials', exp: Date.now() / 1000 + 3600 }), grant_id: null, account_id: null, uid: null, user_code: null, expires_at: Date.now() + 3_600_000, consumed_at: null };
};
type Row = ArtifactRow;

const upsert = (rows: Row[]) => upsertArtifacts(store.db, rows);
/** The adapter's own batching: one statement per turn of the event loop, each writer waiting for its statement. */
const upserts = new ArtifactUpserts(upsert);
const batched = (one: Row) => upserts.upsert(one);

async function rate(write: (one: Row) => Promise<unknown>): Promise<number> {
  const until = Date.now() + ROUND_SECONDS * 1000;
  let written = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (Date.now() < until) {
        await write(row());
        written++;
      }
    }),
  );
  return round(written / ROUND_SECONDS);
}

try {
  const walFlushes = async () => Number((await sql<{ wal_sync: string }>`select wal_sync from pg_stat_wal`.execute(store.db)).rows[0]?.wal_sync ?? NaN);
  const rounds: Record<'one_upsert_per_row' | 'one_upsert_per_turn', Array<{ rows_per_s: number; wal_syncs_per_s: number }>> = { one_upsert_per_row: [], one_upsert_per_turn: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? (['one_upsert_per_row', 'one_upsert_per_turn'] as const) : (['one_upsert_per_turn', 'one_upsert_per_row'] as const);
    for (const way of order) {
      const before = await walFlushes();
      const rows_per_s = await rate(way === 'one_upsert_per_row' ? (one) => upsert([one]) : batched);
      rounds[way].push({ rows_per_s, wal_syncs_per_s: round(((await walFlushes()) - before) / ROUND_SECONDS) });
    }
  }
  process.stdout.write(`${JSON.stringify({ writers: WRITERS, round_seconds: ROUND_SECONDS, pool: 10, ...rounds }, null, 2)}\n`);
} finally {
  await store.close();
  await database.drop();
}
