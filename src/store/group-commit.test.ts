import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

interface Scratch {
  notes: { key: string; value: number };
}

/**
 * The group commit on a real SQLite file in WAL mode with a full fsync, as the store opens it,
 * watched through a second connection to the same file: that connection sees only what was
 * committed, so "answered" can be checked against "on disk".
 */
describe('group commit on SQLite', () => {
  let dir: string;
  let database: SQLite.Database;
  let observer: SQLite.Database;
  let db: Kysely<Scratch>;
  let commits: GroupCommit;
  /** Transactions the group commit opened (each is one batch, one fsync). */
  let batches: number;
  /** Called as a batch takes the connection, before it runs. */
  let onBatch: () => void;

  const insert = (key: string, value: number) => sql`insert into notes (key, value) values (${key}, ${value})`.compile(db);
  const update = (key: string, value: number) => sql`update notes set value = ${value} where key = ${key}`.compile(db);
  const committed = (key: string) => (observer.prepare('select value from notes where key = ?').get(key) as { value: number } | undefined)?.value;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portvakt-group-commit-'));
    const file = join(dir, 'scratch.db');
    database = new SQLite(file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.exec('create table notes (key text primary key, value integer not null check (value >= 0))');
    observer = new SQLite(file, { readonly: true });
    db = new Kysely<Scratch>({ dialect: new SqliteDialect({ database }) });
    batches = 0;
    onBatch = () => {};
    commits = new GroupCommit(database, (work) => {
      batches++;
      onBatch();
      return db.connection().execute(async () => work());
    });
  });

  afterEach(async () => {
    await commits.drained();
    observer.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes of one turn of the event loop in one transaction, each answered once it is on disk', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const seenOnAnswer = await Promise.all(keys.map((key, i) => commits.run('notes', insert(key, i)).then(() => committed(key))));
    expect(seenOnAnswer).toEqual(keys.map((_, i) => i));
    expect(batches).toBe(1);
  });

  it('answers nothing before the commit', async () => {
    let answered = false;
    const write = commits.run('notes', insert('early', 1)).then(() => (answered = true));
    await Promise.resolve();
    expect(answered).toBe(false);
    expect(committed('early')).toBeUndefined();
    await write;
    expect(committed('early')).toBe(1);
  });

  it('runs writes in the order they arrived, within a batch and across batches', async () => {
    // Arrives while the first batch is being committed: it belongs to the next batch, which commits after.
    let second: Promise<number> | undefined;
    onBatch = () => (second ??= commits.run('notes', update('a', 4)));
    const first = [commits.run('notes', insert('a', 1)), commits.run('notes', update('a', 2)), commits.run('notes', update('a', 3))];
    expect(await Promise.all(first)).toEqual([1, 1, 1]);
    expect(committed('a')).toBe(3);
    expect(await second).toBe(1);
    expect(committed('a')).toBe(4);
    expect(batches).toBe(2);
  });

  it('rejects only the caller whose write failed; the rest of the batch commits', async () => {
    const results = await Promise.allSettled([commits.run('notes', insert('x', 1)), commits.run('notes', insert('bad', -1)), commits.run('notes', insert('x', 2)), commits.run('notes', insert('y', 5))]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/CHECK constraint/);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint/);
    expect([committed('x'), committed('bad'), committed('y')]).toEqual([1, undefined, 5]);
    expect(batches).toBe(1);
  });

  it('rejects every caller of a batch whose transaction was lost, and none of its writes is on disk', async () => {
    // A write that ends the transaction stands in for SQLite rolling it back on an I/O error.
    const results = await Promise.allSettled([commits.run('notes', insert('gone', 1)), commits.run('notes', sql`rollback`.compile(db)), commits.run('notes', insert('after', 2))]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect([committed('gone'), committed('after')]).toEqual([undefined, undefined]);
    // The connection is usable again for the next batch.
    await commits.run('notes', insert('next', 3));
    expect(committed('next')).toBe(3);
  });

  it('lets a read wait for the queued writes of its scope (read-your-writes), and only for those', async () => {
    void commits.run('notes', insert('r', 7));
    let settledOther = false;
    const other = commits.settled('elsewhere').then(() => (settledOther = true));
    await other;
    expect(settledOther).toBe(true);
    expect(committed('r')).toBeUndefined();
    await commits.settled('notes');
    expect(committed('r')).toBe(7);
    const row = await db.selectFrom('notes').select('value').where('key', '=', 'r').executeTakeFirst();
    expect(row?.value).toBe(7);
  });

  it('waits for a Kysely transaction on the same connection instead of joining it', async () => {
    const transaction = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('notes').values({ key: 'in-trx', value: 1 }).execute();
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new Error('rolled back');
      })
      .catch((error: Error) => error.message);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const write = commits.run('notes', insert('batched', 2));
    expect(await transaction).toBe('rolled back');
    await write;
    expect([committed('in-trx'), committed('batched')]).toEqual([undefined, 2]);
  });

  it('drains what is queued before the store closes', async () => {
    const writes = [commits.run('notes', insert('d1', 1)), commits.run('notes', insert('d2', 2))];
    await commits.drained();
    expect([committed('d1'), committed('d2')]).toEqual([1, 2]);
    await Promise.all(writes);
  });
});
