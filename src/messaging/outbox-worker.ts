import { DeliveryError } from './delivery-error.ts';
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
  readonly #pollMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(outbox: Outbox, handlers: Record<string, TopicHandler>, log: WorkerLog, pollMs: number) {
    this.#outbox = outbox;
    this.#handlers = handlers;
    this.#log = log;
    this.#pollMs = pollMs;
    outbox.onEnqueue(() => this.kick());
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), this.#pollMs);
    this.#timer.unref();
    this.kick();
  }

  /** Runs a pass now (or right after the one running). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass()
      .catch((error: unknown) => this.#log.error({ err: error }, 'outbox pass failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #pass(): Promise<void> {
    for (;;) {
      const batch = await this.#outbox.claimDue(20);
      if (batch.length === 0) return;
      for (const entry of batch) await this.#deliver(entry);
      if (this.#stopped) return;
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
