import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { WebhookDeliveries } from './webhook-deliveries.ts';
import type { CustomerDataHolder, TableDeclaration } from '../customers/customer-data.ts';

export interface DomainEvent {
  /** `customer.created`, `customer.updated`, `consent.granted` … */
  type: string;
  customerId: string | null;
  /** Ids and what changed; never secrets, and no more personal data than the receiver needs. */
  data: Record<string, unknown>;
}

/** Event rows per INSERT (five values each, far below SQLite's limit of bound values). */
const EVENTS_PER_INSERT = 200;

/**
 * Writes an event, and a pending delivery for every subscription that wants its type, in the
 * caller's transaction: the event exists exactly when the change committed (transactional
 * outbox), and the webhook worker delivers it afterwards, at least once.
 */
export class EventPublisher implements CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'events',
      columns: { id: 'plain', type: 'plain', customer_id: 'audit', data: 'audit', occurred_at: 'plain' },
      erasure: { rule: 'keep', reason: 'what was published to connected systems: ids and the names of changed fields, the erasure event itself included' },
      export: { rule: 'omitted', reason: 'ids and the names of changed fields, told to connected systems; the audit entries record the same changes' },
    },
  ];
  readonly #listeners: Array<() => void> = [];

  /** The worker asks to hear of new deliveries, to send them at once instead of at the next poll. */
  onPublish(listener: () => void): void {
    this.#listeners.push(listener);
  }

  async publish(trx: Transaction<Database>, event: DomainEvent, now = Date.now()): Promise<string> {
    return (await this.publishAll(trx, [event], now))[0]!;
  }

  /** Several events in one go (a batch of signals moves many customers between segments): one read of the subscriptions, multi-row inserts. */
  async publishAll(trx: Transaction<Database>, events: readonly DomainEvent[], now = Date.now()): Promise<string[]> {
    if (events.length === 0) return [];
    const rows = events.map((event) => ({ id: `evt_${crypto.randomUUID()}`, type: event.type, customer_id: event.customerId, data: JSON.stringify(event.data), occurred_at: now }));
    for (let offset = 0; offset < rows.length; offset += EVENTS_PER_INSERT) await trx.insertInto('events').values(rows.slice(offset, offset + EVENTS_PER_INSERT)).execute();
    const subscriptions = (await trx.selectFrom('webhook_subscriptions').select(['id', 'event_types']).execute()).map((subscription) => ({ id: subscription.id, types: JSON.parse(subscription.event_types) as string[] }));
    for (const [index, event] of events.entries()) {
      const wanted = subscriptions.filter((subscription) => subscription.types.includes('*') || subscription.types.includes(event.type));
      if (wanted.length > 0) await WebhookDeliveries.enqueue(trx, { eventId: rows[index]!.id, orderingKey: event.customerId ?? '-', subscriptionIds: wanted.map((subscription) => subscription.id) }, now);
    }
    // Heard after the caller's commit in the usual case; early, it costs one empty look.
    setImmediate(() => this.#listeners.forEach((listener) => listener()));
    return rows.map((row) => row.id);
  }

  /** Events for the customer, newest first. */
  forCustomer(db: Kysely<Database>, customerId: string, limit = 100) {
    return db.selectFrom('events').selectAll().where('customer_id', '=', customerId).orderBy('occurred_at', 'desc').limit(limit).execute();
  }
}
