import { sql, type Kysely, type Transaction } from 'kysely';
import { invalid } from '../errors/domain-error.ts';
import { retryDelay, type RandomSource } from '../jobs/backoff.ts';
import type { Dialect } from '../store/database.ts';
import type { Database, WebhookDeliveriesTable } from '../store/schema.ts';
import type { CustomerDataHolder, TableDeclaration } from '../customers/customer-data.ts';
import type { SubscriptionFigures } from '../ops/queue-figures.ts';

export interface ClaimedDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  attempts: number;
}

export interface DeliveryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  leaseMs: number;
}

/**
 * The delivery queue. A delivery is due when it is pending, its time has come, nobody holds it,
 * and no earlier delivery for the same subscription and customer is still pending: that keeps
 * them in order per customer. On PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED, so
 * several nodes take disjoint rows; on SQLite (one writer) a compare-and-set on the lease does it.
 */
export class WebhookDeliveries implements CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'webhook_deliveries',
      columns: { id: 'plain', seq: 'plain', subscription_id: 'plain', event_id: 'plain', ordering_key: 'audit', status: 'plain', attempts: 'plain', next_attempt_at: 'plain', claimed_until: 'plain', last_error: 'plain', created_at: 'plain', delivered_at: 'plain' },
      erasure: { rule: 'keep', reason: 'the delivery log of those events: ids only' },
      export: { rule: 'omitted', reason: 'the delivery log of events: ids only' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  readonly #policy: DeliveryPolicy;
  readonly #random: RandomSource;

  /** `random` draws the jitter of each retry (Math.random; tests pass their own). */
  constructor(db: Kysely<Database>, dialect: Dialect, policy: DeliveryPolicy, random: RandomSource = Math.random) {
    this.#db = db;
    this.#dialect = dialect;
    this.#policy = policy;
    this.#random = random;
  }

  /**
   * A pending delivery of an event to each subscription, numbered in order, in the publishing
   * change's transaction. Static: the publisher is built before the queue (which needs its policy).
   */
  static async enqueue(trx: Transaction<Database>, delivery: { eventId: string; orderingKey: string; subscriptionIds: readonly string[] }, now: number): Promise<void> {
    const count = delivery.subscriptionIds.length;
    const { seq } = await trx
      .updateTable('webhook_sequence')
      .set((eb) => ({ seq: eb('seq', '+', count) }))
      .where('id', '=', 1)
      .returning('seq')
      .executeTakeFirstOrThrow();
    const first = Number(seq) - count + 1;
    await trx
      .insertInto('webhook_deliveries')
      .values(
        delivery.subscriptionIds.map((subscriptionId, index) => ({
          id: `dlv_${crypto.randomUUID()}`,
          seq: first + index,
          subscription_id: subscriptionId,
          event_id: delivery.eventId,
          ordering_key: delivery.orderingKey,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: now,
          claimed_until: 0,
          created_at: now,
        })),
      )
      .execute();
  }

  async claimDue(limit: number, now = Date.now()): Promise<ClaimedDelivery[]> {
    return this.#db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('webhook_deliveries as d')
        .select(['d.id', 'd.subscription_id', 'd.event_id', 'd.attempts', 'd.claimed_until'])
        .where('d.status', '=', 'pending')
        .where('d.next_attempt_at', '<=', now)
        .where('d.claimed_until', '<=', now)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('webhook_deliveries as e')
                .select(sql`1`.as('one'))
                .whereRef('e.subscription_id', '=', 'd.subscription_id')
                .whereRef('e.ordering_key', '=', 'd.ordering_key')
                .where('e.status', '=', 'pending')
                .whereRef('e.seq', '<', 'd.seq'),
            ),
          ),
        )
        .orderBy('d.seq')
        .limit(limit);
      if (this.#dialect === 'postgres') query = query.forUpdate().skipLocked();
      const due = await query.execute();
      const claimed: ClaimedDelivery[] = [];
      for (const row of due) {
        const result = await trx
          .updateTable('webhook_deliveries')
          .set({ claimed_until: now + this.#policy.leaseMs })
          .where('id', '=', row.id)
          .where('claimed_until', '=', row.claimed_until)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) claimed.push({ id: row.id, subscriptionId: row.subscription_id, eventId: row.event_id, attempts: row.attempts });
      }
      return claimed;
    });
  }

  async delivered(id: string, now = Date.now()): Promise<void> {
    await this.#db.updateTable('webhook_deliveries').set({ status: 'delivered', delivered_at: now, claimed_until: 0, last_error: null }).where('id', '=', id).execute();
  }

  /** Retried with doubling, jittered delays (see retryDelay); after the last attempt it is dead (dead-letter, visible in the API). */
  async failed(delivery: ClaimedDelivery, reason: string, now = Date.now()): Promise<'retry' | 'dead'> {
    const attempts = delivery.attempts + 1;
    const dead = attempts >= this.#policy.maxAttempts;
    const delay = retryDelay(this.#policy, attempts, this.#random);
    await this.#db
      .updateTable('webhook_deliveries')
      .set({ attempts, last_error: reason.slice(0, 300), claimed_until: 0, ...(dead ? { status: 'dead' as const } : { next_attempt_at: now + delay }) })
      .where('id', '=', delivery.id)
      .execute();
    return dead ? 'dead' : 'retry';
  }

  /** Manual redelivery of a dead (or delivered) delivery of this subscription: pending again, at once. */
  async redeliver(subscriptionId: string, id: string, now = Date.now()): Promise<boolean> {
    const result = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, claimed_until: 0, last_error: null, delivered_at: null })
      .where('id', '=', id)
      .where('subscription_id', '=', subscriptionId)
      .where('status', '!=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Every dead delivery of the subscription pending again, at once (after an outage outlasted the retries); `claimDue` keeps them in order per customer. */
  async redeliverDead(subscriptionId: string, now = Date.now()): Promise<number> {
    const result = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, claimed_until: 0, last_error: null, delivered_at: null })
      .where('subscription_id', '=', subscriptionId)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * The metrics' figures per subscription, every subscription listed (zeros included): pending
   * deliveries and the oldest one's creation, dead ones. One query: the deliveries are aggregated
   * on the `(status, …)` index, so delivered rows, the bulk of the table, are not read.
   */
  async figures(): Promise<SubscriptionFigures[]> {
    const counts = this.#db
      .selectFrom('webhook_deliveries')
      .select(['subscription_id', 'status', (eb) => eb.fn.countAll<number | string>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
      .where('status', 'in', ['pending', 'dead'])
      .groupBy(['subscription_id', 'status'])
      .as('c');
    const rows = await this.#db
      .selectFrom('webhook_subscriptions as s')
      .leftJoin(counts, 'c.subscription_id', 's.id')
      .select(['s.id', 'c.status', 'c.n', 'c.oldest'])
      .execute();
    const figures = new Map<string, SubscriptionFigures>();
    for (const row of rows) {
      const entry = figures.get(row.id) ?? { subscription: row.id, pending: 0, oldestPendingAt: null, dead: 0 };
      figures.set(row.id, entry);
      if (row.status === 'pending') {
        entry.pending = Number(row.n);
        entry.oldestPendingAt = row.oldest == null ? null : Number(row.oldest);
      } else if (row.status === 'dead') entry.dead = Number(row.n);
    }
    return [...figures.values()];
  }

  /**
   * A page of the subscription's deliveries, newest first. `before`: the last delivery of the
   * previous page (the answer's `next`); `next` is null on the last page.
   */
  async list(subscriptionId: string, page: { status?: WebhookDeliveriesTable['status'] | undefined; limit: number; before?: string | undefined }) {
    let query = this.#db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'd.event_id', 'e.type', 'd.status', 'd.attempts', 'd.last_error', 'd.created_at', 'd.delivered_at', 'd.next_attempt_at'])
      .where('d.subscription_id', '=', subscriptionId)
      .orderBy('d.seq', 'desc')
      .limit(page.limit + 1);
    if (page.status) query = query.where('d.status', '=', page.status);
    if (page.before) query = query.where('d.seq', '<', await this.#seqOf(subscriptionId, page.before));
    const rows = await query.execute();
    const deliveries = rows.slice(0, page.limit);
    return { deliveries, next: rows.length > page.limit ? deliveries.at(-1)!.id : null };
  }

  async #seqOf(subscriptionId: string, id: string): Promise<number> {
    const cursor = await this.#db.selectFrom('webhook_deliveries').select('seq').where('id', '=', id).where('subscription_id', '=', subscriptionId).executeTakeFirst();
    if (!cursor) throw invalid('invalid_cursor', '`before` names no delivery of this subscription');
    return Number(cursor.seq);
  }
}
