import { DeliveryError } from './delivery-error.ts';
import { PollingLoop } from '../jobs/polling-loop.ts';
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
export class OutboxWorker {
  readonly #outbox: Outbox;
  readonly #handlers: Record<string, TopicHandler>;
  readonly #log: WorkerLog;
  readonly #loop: PollingLoop;

  constructor(outbox: Outbox, handlers: Record<string, TopicHandler>, log: WorkerLog, pollMs: number) {
    this.#outbox = outbox;
    this.#handlers = handlers;
    this.#log = log;
    this.#loop = new PollingLoop(() => this.#pass(), pollMs, (error) => log.error({ err: error }, 'outbox pass failed'));
    outbox.onEnqueue(() => this.#loop.kick());
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #pass(): Promise<void> {
    for (;;) {
      const batch = await this.#outbox.claimDue(20);
      if (batch.length === 0) return;
      for (const entry of batch) await this.#deliver(entry);
      if (this.#loop.stopped) return;
    }
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
      const details = { outbox_id: entry.id, topic: entry.topic, attempt: entry.attempts + 1, reason, outcome };
      if (outcome === 'dead') this.#log.error(details, 'message could not be delivered');
      else this.#log.warn(details, 'message delivery failed; will retry');
    }
  }
}
