import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import { conflict } from '../errors/domain-error.ts';
import type { Database } from '../store/schema.ts';
import { BUILTIN_SIGNAL_TYPES, type Signal, type SignalItem } from './segment-rules.ts';

/** A signal ready to keep: its customer resolved, its time parsed. */
export interface NewSignal {
  eventId: string;
  customerId: string;
  type: string;
  occurredAt: number;
  channel: string | null;
  brand: string | null;
  items: SignalItem[];
}

/**
 * A signal's id: the time it was recorded (milliseconds, fixed-width hex), then 80 random bits.
 * Ids in recording order put each batch's rows at the end of the primary key's index instead of
 * on random pages of it, which at a million signals no longer fit the database's cache.
 */
export function signalId(recordedAt: number): string {
  return `sig_${Math.max(0, Math.floor(recordedAt)).toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
}

/** Rows per INSERT: far below SQLite's limit of bound values, large enough that a batch of 1,000 is a few statements. */
const ROWS_PER_INSERT = 200;

/**
 * What connected systems reported customers did (purchases, returns, views, carts and declared
 * types), kept only while the customer's profiling consent stands (personalization.ts lets
 * nothing else in and deletes a customer's signals in the transaction of the withdrawal), and
 * only for the retention period.
 */
export class Signals implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'customer_signals',
      columns: { id: 'plain', system: 'plain', event_id: 'activity', customer_id: 'activity', type: 'activity', occurred_at: 'activity', channel: 'activity', brand: 'activity', items: 'activity', recorded_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'activity' },
    },
  ];
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Declares an event type beyond the built-in ones (idempotent: the description is updated). */
  async declareType(key: string, description: string, now = Date.now()): Promise<{ key: string; description: string }> {
    if ((BUILTIN_SIGNAL_TYPES as readonly string[]).includes(key)) throw conflict('built_in_type', `${key} is built in`);
    await this.#db
      .insertInto('signal_types')
      .values({ key, description, created_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ description }))
      .execute();
    return { key, description };
  }

  /** Every type a system may report: the built-in ones, then the declared ones. */
  async types(): Promise<Array<{ key: string; description: string | null }>> {
    const declared = await this.#db.selectFrom('signal_types').select(['key', 'description']).orderBy('key').execute();
    return [...BUILTIN_SIGNAL_TYPES.map((key) => ({ key, description: null })), ...declared];
  }

  /** Keeps the signals not kept before (by system and event id); answers the customers of those it kept. */
  async keep(trx: Transaction<Database>, system: string, signals: readonly NewSignal[], now: number): Promise<{ kept: number; customers: Set<string> }> {
    const customers = new Set<string>();
    let kept = 0;
    for (let offset = 0; offset < signals.length; offset += ROWS_PER_INSERT) {
      const slice = signals.slice(offset, offset + ROWS_PER_INSERT);
      const inserted = await trx
        .insertInto('customer_signals')
        .values(
          slice.map((signal) => ({
            id: signalId(now),
            system,
            event_id: signal.eventId,
            customer_id: signal.customerId,
            type: signal.type,
            occurred_at: signal.occurredAt,
            channel: signal.channel,
            brand: signal.brand,
            items: JSON.stringify(signal.items),
            recorded_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['system', 'event_id']).doNothing())
        .returning('customer_id')
        .execute();
      kept += inserted.length;
      for (const row of inserted) customers.add(row.customer_id);
    }
    return { kept, customers };
  }

  /** The customers' signals since `since`, oldest first, read in `executor` (the caller's transaction). */
  async since(executor: Kysely<Database>, customerIds: readonly string[], since: number): Promise<Map<string, Signal[]>> {
    const found = new Map<string, Signal[]>();
    if (customerIds.length === 0) return found;
    const rows = await executor
      .selectFrom('customer_signals')
      .select(['customer_id', 'type', 'occurred_at', 'brand', 'channel', 'items'])
      .where('customer_id', 'in', customerIds)
      .where('occurred_at', '>', since)
      .orderBy('customer_id')
      .orderBy('occurred_at')
      .execute();
    for (const row of rows) {
      let list = found.get(row.customer_id);
      if (!list) found.set(row.customer_id, (list = []));
      list.push({ type: row.type, occurredAt: Number(row.occurred_at), brand: row.brand, channel: row.channel, items: JSON.parse(row.items) as SignalItem[] });
    }
    return found;
  }

  /** How many signals are kept about the customer. */
  async countOf(customerId: string): Promise<number> {
    const row = await this.#db.selectFrom('customer_signals').select((eb) => eb.fn.countAll<number>().as('n')).where('customer_id', '=', customerId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Deletes what was kept of the customer (a withdrawal of the consent, in its transaction). */
  async forgetWithin(trx: Transaction<Database>, customerId: string): Promise<number> {
    const result = await trx.deleteFrom('customer_signals').where('customer_id', '=', customerId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await this.forgetWithin(trx, customer.id);
  }

  /** The retention: signals that happened before `before` are deleted (the cleanup job), answers how many. */
  async deleteOlderThan(before: number): Promise<number> {
    const result = await this.#db.deleteFrom('customer_signals').where('occurred_at', '<=', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('customer_signals').selectAll().where('customer_id', '=', customer.id).orderBy('occurred_at', 'desc').execute();
    return {
      activity: rows.map((row) => ({ system: row.system, event_id: row.event_id, type: row.type, occurred_at: isoTime(row.occurred_at), channel: row.channel, brand: row.brand, items: JSON.parse(row.items) as unknown[], recorded_at: isoTime(row.recorded_at) })),
    };
  }
}
