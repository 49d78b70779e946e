import { describe, expect, it } from 'vitest';
import { BoundedRead, type ReadFailure } from './bounded-read.ts';

describe('BoundedRead', () => {
  it('shares one read among the gauges of a scrape, and reads afresh at the next', async () => {
    let reads = 0;
    const figures = new BoundedRead(async () => ++reads, { timeoutMs: 1000, onFailure: () => {} });
    expect(await Promise.all([figures.figures(), figures.figures(), figures.figures()])).toEqual([1, 1, 1]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await figures.figures()).toBe(2);
  });

  it('answers within the bound when the database hangs, counts it once, and starts no second query meanwhile', async () => {
    let reads = 0;
    let answer: (value: number) => void = () => {};
    const failures: ReadFailure[] = [];
    const hanging = () => {
      reads += 1;
      return new Promise<number>((resolve) => (answer = resolve));
    };
    const figures = new BoundedRead(hanging, { timeoutMs: 50, onFailure: (reason) => failures.push(reason) });
    const started = Date.now();
    expect(await Promise.all([figures.figures(), figures.figures()])).toEqual([undefined, undefined]);
    expect(Date.now() - started).toBeLessThan(1000);
    // The next scrape waits for the same query rather than piling a second one on.
    expect(await figures.figures()).toBeUndefined();
    expect(reads).toBe(1);
    expect(failures).toEqual(['timeout']);
    // Once the slow query has answered, the next scrape starts a fresh one (which hangs as well).
    answer(7);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await figures.figures()).toBeUndefined();
    expect(reads).toBe(2);
    expect(failures).toEqual(['timeout', 'timeout']);
  });

  it('turns a failed read into no figures, counted as an error', async () => {
    const failures: ReadFailure[] = [];
    const figures = new BoundedRead(() => Promise.reject(new Error('connection refused')), { timeoutMs: 1000, onFailure: (reason) => failures.push(reason) });
    expect(await figures.figures()).toBeUndefined();
    expect(failures).toEqual(['error']);
  });
});
