/** How retries space out: the first after `baseDelayMs`, doubling per attempt, never above `maxDelayMs`. */
export interface Backoff {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** A number in [0, 1), as Math.random gives; tests pass a fixed sequence. */
export type RandomSource = () => number;

/** The ceiling of the wait before the next try, after `attempts` failed ones (1 or more): doubling, capped. */
export function backoffCeiling(backoff: Backoff, attempts: number): number {
  return Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (attempts - 1));
}

/**
 * The wait before the next try, after `attempts` failed ones (1 or more), with "equal jitter"
 * (AWS Architecture Blog, "Exponential Backoff And Jitter"): half the doubling ceiling for sure,
 * the other half drawn at random. When an SMTP server or a CRM comes back after an outage, the
 * messages that failed together then retry spread over half the ceiling instead of all at one
 * instant. Equal rather than full jitter (anywhere in [0, ceiling)): full jitter can retry a
 * failing system at once, and the guaranteed half keeps the backoff a backoff: a system that is
 * still down is asked at most about twice as often as without jitter, never immediately.
 */
export function retryDelay(backoff: Backoff, attempts: number, random: RandomSource = Math.random): number {
  const ceiling = backoffCeiling(backoff, attempts);
  const half = ceiling / 2;
  return Math.floor(half + random() * half);
}
