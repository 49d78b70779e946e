import { describe, expect, it } from 'vitest';
import { backoffCeiling, retryDelay } from './backoff.ts';

const BACKOFF = { baseDelayMs: 1000, maxDelayMs: 8000 };

describe('retry backoff with equal jitter', () => {
  it('doubles the ceiling per attempt up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 10].map((attempts) => backoffCeiling(BACKOFF, attempts))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('waits half the ceiling for sure and draws the other half', () => {
    expect(retryDelay(BACKOFF, 1, () => 0)).toBe(500);
    expect(retryDelay(BACKOFF, 1, () => 0.5)).toBe(750);
    expect(retryDelay(BACKOFF, 1, () => 0.999_999)).toBe(999);
    expect(retryDelay(BACKOFF, 3, () => 0.25)).toBe(2500);
    expect(retryDelay(BACKOFF, 9, () => 0)).toBe(4000);
    expect(retryDelay(BACKOFF, 9, () => 0.999_999)).toBe(7999);
  });

  it('spreads many retries of one attempt over the upper half of the ceiling', () => {
    const delays = Array.from({ length: 1000 }, () => retryDelay(BACKOFF, 2));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...delays)).toBeLessThan(2000);
    // Uniform over [1000, 2000): a thousand draws fill the window nearly end to end, in many distinct values.
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(900);
    expect(new Set(delays).size).toBeGreaterThan(400);
    const below = delays.filter((delay) => delay < 1500).length;
    expect(below).toBeGreaterThan(400);
    expect(below).toBeLessThan(600);
  });
});
