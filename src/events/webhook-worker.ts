import type { Kysely } from 'kysely';
import type { OutboundFetch } from '../outbound/outbound-guard.ts';
import { ClaimingWorker } from '../jobs/claiming-worker.ts';
import type { WorkerLog } from '../messaging/outbox-worker.ts';
import type { Database } from '../store/schema.ts';
import type { EventPublisher } from './event-publisher.ts';
import type { ClaimedDelivery, WebhookDeliveries } from './webhook-deliveries.ts';
import { signWebhook } from './webhook-signature.ts';
import type { WebhookSubscriptions } from './webhook-subscriptions.ts';

/**
 * Sends due deliveries as Standard Webhooks: POST JSON `{type, timestamp, data}` with
 * `webhook-id` (the event id: the same on every retry, so receivers can drop duplicates),
 * `webhook-timestamp` and `webhook-signature`. A 2xx answer delivers; anything else is retried.
 */
export class WebhookWorker extends ClaimingWorker<ClaimedDelivery> {
  readonly #db: Kysely<Database>;
  readonly #deliveries: WebhookDeliveries;
  readonly #subscriptions: WebhookSubscriptions;
  readonly #log: WorkerLog;
  readonly #timeoutMs: number;
  readonly #fetch: OutboundFetch;

  constructor(deps: { db: Kysely<Database>; deliveries: WebhookDeliveries; subscriptions: WebhookSubscriptions; publisher: EventPublisher; log: WorkerLog; pollMs: number; timeoutMs: number; fetch: OutboundFetch }) {
    super({ pollMs: deps.pollMs, batchSize: 20, onError: (error) => deps.log.error({ err: error }, 'webhook pass failed') });
    this.#db = deps.db;
    this.#deliveries = deps.deliveries;
    this.#subscriptions = deps.subscriptions;
    this.#log = deps.log;
    this.#timeoutMs = deps.timeoutMs;
    this.#fetch = deps.fetch;
    deps.publisher.onPublish(() => this.kick());
  }

  protected claim(limit: number): Promise<ClaimedDelivery[]> {
    return this.#deliveries.claimDue(limit);
  }

  /** Different customers' deliveries go out side by side; one customer's are never in one batch twice. */
  protected async handle(batch: ClaimedDelivery[]): Promise<void> {
    await Promise.all(batch.map((delivery) => this.#send(delivery)));
  }

  async #send(delivery: ClaimedDelivery): Promise<void> {
    try {
      const [target, event] = await Promise.all([
        this.#subscriptions.target(delivery.subscriptionId),
        this.#db.selectFrom('events').selectAll().where('id', '=', delivery.eventId).executeTakeFirst(),
      ]);
      if (!target || !event) return await this.#deliveries.delivered(delivery.id);
      const timestamp = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({ type: event.type, timestamp: new Date(event.occurred_at).toISOString(), data: { ...JSON.parse(event.data), customer_id: event.customer_id } });
      const response = await this.#fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(target.secret, event.id, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return await this.#deliveries.delivered(delivery.id);
      await this.#retry(delivery, `receiver answered HTTP ${response.status}`);
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      await this.#retry(delivery, timedOut ? `receiver did not answer within ${this.#timeoutMs} ms` : 'receiver could not be reached');
    }
  }

  async #retry(delivery: ClaimedDelivery, reason: string): Promise<void> {
    const outcome = await this.#deliveries.failed(delivery, reason);
    const details = { delivery_id: delivery.id, attempt: delivery.attempts + 1, reason, outcome };
    if (outcome === 'dead') this.#log.error(details, 'webhook delivery is dead after its last attempt');
    else this.#log.warn(details, 'webhook delivery failed; will retry');
  }
}
