import { defaultHashConcurrency } from '../config/hash-concurrency.ts';

/**
 * At most `limit` argon2id computations at once in this process; the rest wait in order. argon2id
 * runs on libuv's thread pool (four threads), off the event loop, but four 19 MiB hashes on a
 * two-core machine leave the event loop a fifth of the CPU: token refresh, JWKS and every page
 * then wait behind passwords. Keeping hashing to the cores but one leaves the event loop a core.
 * How many may wait is bounded before this, per request (http/admission.ts).
 */
export class HashingSlots {
  #limit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  readonly #waitListeners = new Set<(seconds: number) => void>();

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  set limit(value: number) {
    this.#limit = Math.max(1, value);
    this.#wake();
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Hears how long each computation waited for its slot (0 when one was free); returns how to stop listening. */
  onWait(listener: (seconds: number) => void): () => void {
    this.#waitListeners.add(listener);
    return () => this.#waitListeners.delete(listener);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    const waited = (performance.now() - start) / 1000;
    for (const listener of this.#waitListeners) listener(waited);
    try {
      return await work();
    } finally {
      this.#running -= 1;
      this.#wake();
    }
  }

  #wake(): void {
    while (this.#running < this.#limit && this.#waiting.length > 0) {
      this.#running += 1;
      this.#waiting.shift()!();
    }
  }
}

/** The process's slots (CPU is the process's): PASSWORD_HASH_CONCURRENCY sets the limit at start. */
export const hashingSlots = new HashingSlots(defaultHashConcurrency());
