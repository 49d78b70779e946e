import { describe, expect, it } from 'vitest';
import { HashingSlots } from './hashing-slots.ts';

describe('HashingSlots', () => {
  it('runs at most the limit at once, the rest in the order they came, and frees a slot on failure', async () => {
    const slots = new HashingSlots(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = (i: number) =>
      slots.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        order.push(i);
        if (i === 1) throw new Error('wrong password hash format');
        return i;
      });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => job(i)));
    expect(most).toBe(2);
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
    expect(order.slice(2)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(slots.waiting).toBe(0);
  });

  it('tells how long each computation waited for its slot', async () => {
    const slots = new HashingSlots(1);
    const waits: number[] = [];
    const stop = slots.onWait((seconds) => waits.push(seconds));
    const job = () => slots.run(() => new Promise((resolve) => setTimeout(resolve, 50)));
    await Promise.all([job(), job()]);
    stop();
    await job();
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeLessThan(0.02);
    expect(waits[1]).toBeGreaterThanOrEqual(0.04);
  });
});
