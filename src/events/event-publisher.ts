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
    const id = `evt_${crypto.randomUUID()}`;
    await trx.insertInto('events').values({ id, type: event.type, customer_id: event.customerId, data: JSON.stringify(event.data), occurred_at: now }).execute();
    const subscriptions = (await trx.selectFrom('webhook_subscriptions').select(['id', 'event_types']).execute()).filter((subscription) => {
      const types = JSON.parse(subscription.event_types) as string[];
      return types.includes('*') || types.includes(event.type);
    });
    if (subscriptions.length > 0) await WebhookDeliveries.enqueue(trx, { eventId: id, orderingKey: event.customerId ?? '-', subscriptionIds: subscriptions.map((subscription) => subscription.id) }, now);
    // Heard after the caller's commit in the usual case; early, it costs one empty look.
    setImmediate(() => this.#listeners.forEach((listener) => listener()));
    return id;
  }

  /** Events for the customer, newest first. */
  forCustomer(db: Kysely<Database>, customerId: string, limit = 100) {
    return db.selectFrom('events').selectAll().where('customer_id', '=', customerId).orderBy('occurred_at', 'desc').limit(limit).execute();
  }
}
