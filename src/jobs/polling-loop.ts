/**
 * Runs `pass` every `pollMs`, and at once when kicked; never two passes at a time in one process
 * (a kick during a pass runs one more pass right after). Stopping waits for the running pass.
 */
export class PollingLoop {
  readonly #pass: () => Promise<void>;
  readonly #pollMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(pass: () => Promise<void>, pollMs: number, onError: (error: unknown) => void) {
    this.#pass = pass;
    this.#pollMs = pollMs;
    this.#onError = onError;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), this.#pollMs);
    this.#timer.unref();
    this.kick();
  }

  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass()
      .catch(this.#onError)
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
}
