import { PollingLoop } from './polling-loop.ts';

/**
 * A worker over a queue whose rows are claimed with a lease (the outbox, webhook deliveries,
 * privacy tasks), so several processes can run it side by side. It polls every `pollMs` and at
 * once when kicked; a pass claims due rows in batches and hands each batch on until none is due
 * (or the worker is stopping), then runs `afterQueue`. One pass at a time per process.
 */
export abstract class ClaimingWorker<T> {
  readonly #loop: PollingLoop;
  readonly #batchSize: number;

  constructor(settings: { pollMs: number; batchSize: number; onError: (error: unknown) => void }) {
    this.#batchSize = settings.batchSize;
    this.#loop = new PollingLoop(() => this.#pass(), settings.pollMs, settings.onError);
  }

  start(): void {
    this.#loop.start();
  }

  kick(): void {
    this.#loop.kick();
  }

  /** Waits for the pass in progress; no new one starts. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Claims up to `limit` due rows. */
  protected abstract claim(limit: number): Promise<T[]>;

  /** Carries out one claimed batch. */
  protected abstract handle(batch: T[]): Promise<void>;

  /** Runs once the queue is empty in a pass. */
  protected async afterQueue(): Promise<void> {}

  async #pass(): Promise<void> {
    for (;;) {
      const batch = await this.claim(this.#batchSize);
      if (batch.length === 0) break;
      await this.handle(batch);
      if (this.#loop.stopped) return;
    }
    await this.afterQueue();
  }
}
