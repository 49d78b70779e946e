/** Why a scrape answered without fresh figures. */
export type ReadFailure = 'error' | 'timeout';

/**
 * Figures read from the database for a scrape, shared and bounded: the gauges of one scrape share
 * one read, a scrape waits for it at most `timeoutMs` and then answers with the figures the gauges
 * already hold, and a read that is still running when the next scrape comes is waited for again
 * rather than started twice, so a slow database gets at most one such query per queue at a time.
 */
export class BoundedRead<F> {
  readonly #read: () => Promise<F>;
  readonly #timeoutMs: number;
  readonly #onFailure: (reason: ReadFailure) => void;
  #running: { result: Promise<F | undefined>; late: boolean } | undefined;

  constructor(read: () => Promise<F>, options: { timeoutMs: number; onFailure: (reason: ReadFailure) => void }) {
    this.#read = read;
    this.#timeoutMs = options.timeoutMs;
    this.#onFailure = options.onFailure;
  }

  /** The figures, or undefined when the database failed or did not answer in time. */
  async figures(): Promise<F | undefined> {
    const running = (this.#running ??= this.#start());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        // Counted once per read, however many gauges or scrapes waited for it.
        if (!running.late) this.#onFailure('timeout');
        running.late = true;
        resolve(undefined);
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([running.result, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #start(): { result: Promise<F | undefined>; late: boolean } {
    const running = {
      late: false,
      result: this.#read()
        .catch((): undefined => {
          this.#onFailure('error');
          return undefined;
        })
        // Kept until the gauges of this scrape have all read it.
        .finally(() => setImmediate(() => (this.#running = undefined))),
    };
    return running;
  }
}
