/** How retries space out: the first after `baseDelayMs`, doubling per attempt, never above `maxDelayMs`. */
export interface Backoff {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The wait before the next try, after `attempts` failed ones (1 or more). */
export function retryDelay(backoff: Backoff, attempts: number): number {
  return Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (attempts - 1));
}
