import type { Kysely, Transaction } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { retryDelay, type RandomSource } from '../jobs/backoff.ts';
import type { Database, OutboxTable } from '../store/schema.ts';
import type { CustomerDataHolder, TableDeclaration } from '../customers/customer-data.ts';
import type { OutboxFigures } from '../ops/queue-figures.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export interface OutboxEntry {
  id: string;
  topic: string;
  payload: unknown;
  attempts: number;
}

export interface RetryPolicy {
  /** The first retry's ceiling; it doubles per attempt up to maxDelayMs, and each wait is jittered (see retryDelay). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this many failed attempts the row is dead (kept for inspection, payload cleared). */
  maxAttempts: number;
  /** How long a worker owns a claimed row before another may take it over. */
  leaseMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 5 * 60_000, maxAttempts: 25, leaseMs: 60_000 };

/**
 * The transactional outbox: a message is written in the same transaction as the change that
 * caused it, so it exists exactly when the change committed, and a worker delivers it at least
 * once, retrying with exponential backoff and jitter. Payloads hold one-time codes, so they are sealed
 * (AES-GCM under PORTVAKT_SECRET) and cleared once delivered or dead.
 */
export class Outbox implements CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'outbox',
      columns: { id: 'plain', topic: 'plain', payload: 'messages', status: 'plain', attempts: 'plain', next_attempt_at: 'plain', claimed_until: 'plain', last_error: 'plain', created_at: 'plain', expires_at: 'plain', delivered_at: 'plain' },
      erasure: { rule: 'keep', reason: 'messages on their way: the payload is blanked once sent or dead, the rows are deleted after the retention' },
      export: { rule: 'omitted', reason: 'messages on their way, sealed, blanked once sent' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #key: SealingKeys;
  readonly #retry: RetryPolicy;
  readonly #random: RandomSource;
  #listener: (() => void) | undefined;

  /** `random` draws the jitter of each retry (Math.random; tests pass their own). */
  constructor(db: Kysely<Database>, key: SealingKeys, retry: RetryPolicy = DEFAULT_RETRY, random: RandomSource = Math.random) {
    this.#db = db;
    this.#key = key;
    this.#retry = retry;
    this.#random = random;
  }

  /** The worker asks to hear of new rows, so a message goes out at once rather than at the next poll. */
  onEnqueue(listener: () => void): void {
    this.#listener = listener;
  }

  async enqueue(db: Executor, message: { topic: string; payload: unknown; expiresAt?: number }, now = Date.now()): Promise<string> {
    const id = crypto.randomUUID();
    await db
      .insertInto('outbox')
      .values({
        id,
        topic: message.topic,
        payload: seal(this.#key, JSON.stringify(message.payload), `outbox:${id}`),
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        claimed_until: 0,
        created_at: now,
        expires_at: message.expiresAt ?? null,
      })
      .execute();
    // Called after the caller's transaction commits in the common case; a notification for a
    // rolled-back row only makes the worker look once for nothing.
    queueMicrotask(() => this.#listener?.());
    return id;
  }

  /**
   * Takes up to `limit` due rows. Each is claimed with a compare-and-set on `claimed_until`, so
   * two workers (or nodes) never hold the same row at the same time.
   */
  async claimDue(limit: number, now = Date.now()): Promise<OutboxEntry[]> {
    const due = await this.#db
      .selectFrom('outbox')
      .select(['id', 'topic', 'payload', 'attempts', 'claimed_until', 'expires_at'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where('claimed_until', '<=', now)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    const claimed: OutboxEntry[] = [];
    for (const row of due) {
      if (row.expires_at !== null && row.expires_at <= now) {
        await this.#finish(row.id, { status: 'dead', last_error: 'expired before it could be delivered' });
        continue;
      }
      const result = await this.#db
        .updateTable('outbox')
        .set({ claimed_until: now + this.#retry.leaseMs })
        .where('id', '=', row.id)
        .where('claimed_until', '=', row.claimed_until)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) continue;
      claimed.push({ id: row.id, topic: row.topic, attempts: row.attempts, payload: JSON.parse(open(this.#key, row.payload, `outbox:${row.id}`)) });
    }
    return claimed;
  }

  async delivered(id: string, now = Date.now()): Promise<void> {
    await this.#finish(id, { status: 'delivered', delivered_at: now, last_error: null });
  }

  /** A retryable failure is tried again later; a permanent one, or the last attempt, is dead. */
  async failed(entry: OutboxEntry, reason: string, retryable: boolean, now = Date.now()): Promise<'retry' | 'dead'> {
    const attempts = entry.attempts + 1;
    if (!retryable || attempts >= this.#retry.maxAttempts) {
      await this.#finish(entry.id, { status: 'dead', attempts, last_error: reason });
      return 'dead';
    }
    const delay = retryDelay(this.#retry, attempts, this.#random);
    await this.#db
      .updateTable('outbox')
      .set({ attempts, last_error: reason, next_attempt_at: now + delay, claimed_until: 0 })
      .where('id', '=', entry.id)
      .execute();
    return 'retry';
  }

  /**
   * The metrics' figures, across every node: how many messages wait (pending, retries included)
   * and since when the oldest, and how many are dead. One aggregate query on the `(status, …)`
   * index; delivered rows, the bulk of the table, are not read.
   */
  async figures(): Promise<OutboxFigures> {
    const rows = await this.#db
      .selectFrom('outbox')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
      .where('status', 'in', ['pending', 'dead'])
      .groupBy('status')
      .execute();
    const pending = rows.find((row) => row.status === 'pending');
    return { queued: Number(pending?.n ?? 0), oldestQueuedAt: pending?.oldest == null ? null : Number(pending.oldest), dead: Number(rows.find((row) => row.status === 'dead')?.n ?? 0) };
  }

  async find(id: string): Promise<Pick<OutboxTable, 'status' | 'attempts' | 'last_error' | 'delivered_at'> | undefined> {
    return this.#db.selectFrom('outbox').select(['status', 'attempts', 'last_error', 'delivered_at']).where('id', '=', id).executeTakeFirst();
  }

  /** Messages of a topic (or all), newest first, for operators: never their payload. */
  async list(filter: { topic?: string; status?: OutboxTable['status']; limit: number }): Promise<Array<Pick<OutboxTable, 'id' | 'topic' | 'status' | 'attempts' | 'last_error' | 'created_at' | 'delivered_at' | 'next_attempt_at'>>> {
    let query = this.#db.selectFrom('outbox').select(['id', 'topic', 'status', 'attempts', 'last_error', 'created_at', 'delivered_at', 'next_attempt_at']);
    if (filter.topic) query = query.where('topic', '=', filter.topic);
    if (filter.status) query = query.where('status', '=', filter.status);
    return query.orderBy('created_at', 'desc').limit(filter.limit).execute();
  }

  /** Delivered and dead rows older than the retention are deleted by the cleanup timer. */
  async deleteFinished(olderThan: number): Promise<void> {
    await this.#db.deleteFrom('outbox').where('status', '!=', 'pending').where('created_at', '<', olderThan).execute();
  }

  async #finish(id: string, changes: Partial<Pick<OutboxTable, 'status' | 'attempts' | 'last_error' | 'delivered_at'>>): Promise<void> {
    await this.#db.updateTable('outbox').set({ ...changes, payload: '', claimed_until: 0 }).where('id', '=', id).execute();
  }
}

/** `secret rotate` (ops/secret-rotation.ts): a queued message's payload sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealOutboxPayload(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('outbox').set({ payload: sealed }).where('id', '=', id).where('payload', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
