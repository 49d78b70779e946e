import { DeliveryError } from './delivery-error.ts';
import { ClaimingWorker } from '../jobs/claiming-worker.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';

export type TopicHandler = (payload: never) => Promise<unknown>;

export interface WorkerLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Delivers outbox rows: polls every `pollMs`, and at once when a row is enqueued. One pass at a
 * time per process; rows are claimed, so several processes can run this side by side.
 */
export class OutboxWorker extends ClaimingWorker<OutboxEntry> {
  readonly #outbox: Outbox;
  readonly #handlers: Record<string, TopicHandler>;
  readonly #log: WorkerLog;
  readonly #concurrent = new Set<string>();
  #onFailure: (topic: string, outcome: 'retry' | 'dead') => void = () => {};

  constructor(outbox: Outbox, handlers: Record<string, TopicHandler>, log: WorkerLog, pollMs: number) {
    super({ pollMs, batchSize: 20, onError: (error) => log.error({ err: error }, 'outbox pass failed') });
    this.#outbox = outbox;
    this.#handlers = { ...handlers };
    this.#log = log;
    outbox.onEnqueue(() => this.kick());
  }

  /**
   * A topic whose handler is built after the worker (back-channel logout needs the OpenID
   * provider). `concurrent`: the topic's messages of a batch go out side by side, so a receiver
   * that hangs until the timeout holds up one pass once, not once per message, and mail and SMS
   * (one-time codes) behind them wait at most that long.
   */
  route(topic: string, handler: TopicHandler, options: { concurrent?: boolean } = {}): void {
    this.#handlers[topic] = handler;
    if (options.concurrent) this.#concurrent.add(topic);
  }

  /** Hears of every failed attempt: its topic, and whether it is tried again or dead (the metrics count them). */
  onFailure(listener: (topic: string, outcome: 'retry' | 'dead') => void): void {
    this.#onFailure = listener;
  }

  protected claim(limit: number): Promise<OutboxEntry[]> {
    return this.#outbox.claimDue(limit);
  }

  protected async handle(batch: OutboxEntry[]): Promise<void> {
    const inTurn = async () => {
      for (const entry of batch) if (!this.#concurrent.has(entry.topic)) await this.#deliver(entry);
    };
    await Promise.all([inTurn(), ...batch.filter((entry) => this.#concurrent.has(entry.topic)).map((entry) => this.#deliver(entry))]);
  }

  async #deliver(entry: OutboxEntry): Promise<void> {
    const handler = this.#handlers[entry.topic];
    try {
      if (!handler) throw new DeliveryError(`no handler for topic ${entry.topic}`, { provider: 'outbox', retryable: false });
      await handler(entry.payload as never);
      await this.#outbox.delivered(entry.id);
    } catch (error) {
      const retryable = error instanceof DeliveryError ? error.retryable : true;
      const reason = error instanceof DeliveryError ? error.message : 'delivery failed';
      const outcome = await this.#outbox.failed(entry, reason, retryable);
      this.#onFailure(entry.topic, outcome);
      const details = { outbox_id: entry.id, topic: entry.topic, attempt: entry.attempts + 1, reason, outcome };
      if (outcome === 'dead') this.#log.error(details, 'message could not be delivered');
      else this.#log.warn(details, 'message delivery failed; will retry');
    }
  }
}
