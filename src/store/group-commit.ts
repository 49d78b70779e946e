import type SQLite from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';

/**
 * Holds the store's one SQLite connection for `work` (Kysely's connection, so no other query of
 * the process runs meanwhile, and no transaction of another caller is open on it).
 */
export type HoldConnection = <T>(work: () => T) => Promise<T>;

interface QueuedWrite {
  query: CompiledQuery;
  resolve(changes: number): void;
  reject(error: unknown): void;
}

/** The writes that arrived in one turn of the event loop, committed together. */
interface Batch {
  writes: QueuedWrite[];
  /** What the writes touch, for readers that must see them (`settled`). */
  scopes: Set<string>;
  /** Resolves (never rejects) once the batch has committed or failed. */
  done: Promise<void>;
}

type Outcome = { changes: number } | { error: unknown };

/** Distinct statements kept prepared; the adapter uses a handful, so a full cache means someone passes ad-hoc SQL. */
const MOST_STATEMENTS = 64;

/**
 * Group commit on SQLite: writes that arrive in the same turn of the event loop are committed in
 * one transaction, so one fsync (`synchronous = FULL`) serves them all, and each caller's promise
 * resolves only after that commit. A caller answered is a caller whose row is on disk.
 *
 * Each write runs in its own SAVEPOINT inside the batch: a write that fails (a constraint, bad
 * input) is rolled back to its savepoint and rejects its caller alone; the others commit. A batch
 * whose transaction is lost (SQLite rolled it back on an I/O error, or the COMMIT failed) rejects
 * every caller in it, so no caller is told of a write that is not on disk.
 *
 * Batches run one after the other in arrival order, each while holding the store's connection, so
 * a batch never interleaves with a Kysely transaction of the same process.
 */
export class GroupCommit {
  readonly #database: SQLite.Database;
  readonly #holdConnection: HoldConnection;
  readonly #statements = new Map<string, SQLite.Statement>();
  readonly #commitBatch: (writes: QueuedWrite[]) => Outcome[];
  /** The batch taking writes now; it commits at the next turn of the event loop, after `#inFlight`. */
  #collecting: Batch | undefined;
  /** The batch taken from the queue and being committed. */
  #inFlight: Batch | undefined;
  /** The end of the last batch scheduled: the next one starts after it. */
  #tail: Promise<void> = Promise.resolve();

  constructor(database: SQLite.Database, holdConnection: HoldConnection) {
    this.#database = database;
    this.#holdConnection = holdConnection;
    // better-sqlite3 turns a transaction function called inside another into a SAVEPOINT, rolled
    // back to (and released) when it throws.
    const inSavepoint = database.transaction((query: CompiledQuery) => this.#statement(query.sql).run(query.parameters as unknown[]).changes);
    const batch = database.transaction((writes: QueuedWrite[]) =>
      writes.map((write): Outcome => {
        try {
          return { changes: inSavepoint(write.query) };
        } catch (error) {
          // SQLite ends the whole transaction on some errors (I/O, full disk): the writes before
          // this one are gone too, so the batch fails as a whole instead of going on outside it.
          if (!database.inTransaction) throw error;
          return { error };
        }
      }),
    );
    // IMMEDIATE: the write lock is taken at BEGIN (waiting up to busy_timeout for another process),
    // never upgraded half-way, where SQLite could only give up.
    this.#commitBatch = (writes) => batch.immediate(writes);
  }

  /**
   * Queues a write (an INSERT, UPDATE or DELETE compiled by Kysely) under `scope` and resolves with
   * the number of rows it changed once its batch has committed; rejects if the write or its batch failed.
   */
  run(scope: string, query: CompiledQuery): Promise<number> {
    const batch = (this.#collecting ??= this.#startBatch());
    batch.scopes.add(scope);
    return new Promise((resolve, reject) => batch.writes.push({ query, resolve, reject }));
  }

  /**
   * Resolves once every write under `scope` queued so far has committed or failed (at once when
   * none is waiting): a read that must see them (read-your-writes) waits for this first.
   */
  settled(scope: string): Promise<void> {
    if (this.#collecting?.scopes.has(scope)) return this.#collecting.done;
    if (this.#inFlight?.scopes.has(scope)) return this.#inFlight.done;
    return Promise.resolve();
  }

  /** Resolves once every write queued so far has committed or failed (before the store closes). */
  drained(): Promise<void> {
    return this.#collecting?.done ?? this.#inFlight?.done ?? Promise.resolve();
  }

  #startBatch(): Batch {
    const batch: Batch = { writes: [], scopes: new Set(), done: Promise.resolve() };
    const previous = this.#tail;
    batch.done = previous.then(nextTurn).then(() => this.#commit(batch));
    this.#tail = batch.done;
    return batch;
  }

  async #commit(batch: Batch): Promise<void> {
    this.#collecting = this.#collecting === batch ? undefined : this.#collecting;
    this.#inFlight = batch;
    try {
      const outcomes = await this.#holdConnection(() => this.#commitBatch(batch.writes));
      outcomes.forEach((outcome, i) => {
        const write = batch.writes[i]!;
        if ('error' in outcome) write.reject(outcome.error);
        else write.resolve(outcome.changes);
      });
    } catch (error) {
      for (const write of batch.writes) write.reject(error);
    } finally {
      if (this.#inFlight === batch) this.#inFlight = undefined;
    }
  }

  #statement(sql: string): SQLite.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      if (this.#statements.size >= MOST_STATEMENTS) this.#statements.clear();
      statement = this.#database.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/** After the I/O callbacks of this turn of the event loop: every request read in it has queued its write. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
