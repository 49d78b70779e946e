import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestRedis } from '../../test/support/test-redis.ts';
import { MemoryHitCounter, RedisHitCounter, type HitCounter } from './rate-limit.ts';

let redis: Awaited<ReturnType<typeof openTestRedis>>;
/** A second connection, as another node has. */
let otherNode: Redis;

beforeAll(async () => {
  redis = await openTestRedis();
  otherNode = redis.redis.duplicate();
});

afterAll(async () => {
  otherNode.disconnect();
  await redis.close();
});

/** The same contract for one process's counters and the ones every node shares. */
const counters: Array<[string, () => { first: HitCounter; second: HitCounter }]> = [
  ['memory', () => {
    const counter = new MemoryHitCounter();
    return { first: counter, second: counter };
  }],
  ['redis', () => ({ first: new RedisHitCounter(redis.redis), second: new RedisHitCounter(otherNode) })],
];

describe.each(counters)('%s hit counter', (_name, make) => {
  it('counts each hit of a key within its window, and the window does not move with later hits', async () => {
    const { first } = make();
    const key = `window-${Math.random()}`;
    const began = Date.now();
    const one = await first.hit(key, 60_000);
    await sleep(30);
    const two = await first.hit(key, 60_000);
    const three = await first.hit(key, 60_000);
    expect([one.count, two.count, three.count]).toEqual([1, 2, 3]);
    expect(one.resetAt).toBeGreaterThanOrEqual(began + 59_000);
    expect(one.resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
    // The window is the first hit's: later hits report the same end (within clock rounding).
    expect(Math.abs(three.resetAt - one.resetAt)).toBeLessThan(20);
  });

  it('keeps keys apart, shares one key between counters, and starts again after the window', async () => {
    const { first, second } = make();
    const key = `shared-${Math.random()}`;
    await first.hit(key, 300);
    expect((await second.hit(key, 300)).count).toBe(2);
    expect((await first.hit(`${key}-other`, 300)).count).toBe(1);
    await sleep(350);
    expect((await second.hit(key, 300)).count).toBe(1);
  });
});

describe('redis hit counter', () => {
  it('leaves a key that expires with its window', async () => {
    const counter = new RedisHitCounter(redis.redis);
    await counter.hit('expiring', 5_000);
    const ttl = await redis.redis.pttl('rate:expiring');
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
  });
});
