import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Store } from '../store/database.ts';
import { Outbox } from './outbox.ts';

const KEY = Buffer.alloc(32, 3);
const RETRY = { baseDelayMs: 1000, maxDelayMs: 4000, maxAttempts: 4, leaseMs: 60_000 };

describe.each(DIALECTS)('Outbox on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
  });
  afterAll(() => close());

  it('hands each due row to exactly one of two concurrent workers, sealed at rest and opened on claim', async () => {
    const outbox = new Outbox(store.db, KEY, RETRY);
    const now = 1_000_000;
    for (let i = 0; i < 20; i++) await outbox.enqueue(store.db, { topic: 'mail', payload: { n: i, secret: 'code 123456' } }, now);
    const stored = await store.db.selectFrom('outbox').select('payload').execute();
    expect(stored.every((row) => !row.payload.includes('123456'))).toBe(true);
    const [a, b] = await Promise.all([new Outbox(store.db, KEY, RETRY).claimDue(20, now + 1), new Outbox(store.db, KEY, RETRY).claimDue(20, now + 1)]);
    const ids = [...a, ...b].map((entry) => entry.id);
    expect(new Set(ids).size).toBe(20);
    expect(ids).toHaveLength(20);
    expect([...a, ...b].map((entry) => (entry.payload as { n: number }).n).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    // Claimed rows are invisible to others until the lease ends, then another worker may take them over.
    expect(await outbox.claimDue(20, now + 2)).toEqual([]);
    expect(await outbox.claimDue(50, now + RETRY.leaseMs + 2)).toHaveLength(20);
    await store.db.deleteFrom('outbox').execute();
  });

  it('retries with doubling, jittered delays, dies after the last attempt or a permanent failure, and expires with its code', async () => {
    // The jitter draws the middle of each window: waits of 750, 1500 and 3000 ms (ceilings 1000, 2000, 4000).
    const outbox = new Outbox(store.db, KEY, RETRY, () => 0.5);
    const t0 = 2_000_000;
    const id = await outbox.enqueue(store.db, { topic: 'mail', payload: {} }, t0);
    let [entry] = await outbox.claimDue(1, t0);
    expect(await outbox.failed(entry!, 'smtp could not be reached', true, t0)).toBe('retry');
    expect(await outbox.claimDue(1, t0 + 749)).toEqual([]);
    [entry] = await outbox.claimDue(1, t0 + 750);
    expect(await outbox.failed(entry!, 'again', true, t0 + 750)).toBe('retry');
    expect(await outbox.claimDue(1, t0 + 2249)).toEqual([]);
    [entry] = await outbox.claimDue(1, t0 + 2250);
    expect(await outbox.failed(entry!, 'again', true, t0 + 2250)).toBe('retry');
    expect(await outbox.claimDue(1, t0 + 5249)).toEqual([]);
    [entry] = await outbox.claimDue(1, t0 + 5250);
    expect(await outbox.failed(entry!, 'last', true, t0 + 5250)).toBe('dead');
    expect(await outbox.find(id)).toMatchObject({ status: 'dead', attempts: 4, last_error: 'last' });

    const permanent = await outbox.enqueue(store.db, { topic: 'mail', payload: {} }, t0);
    const [claimed] = await outbox.claimDue(1, t0);
    expect(await outbox.failed(claimed!, 'smtp answered 550', false, t0)).toBe('dead');
    expect(await outbox.find(permanent)).toMatchObject({ status: 'dead', attempts: 1 });

    const expiring = await outbox.enqueue(store.db, { topic: 'mail', payload: {}, expiresAt: t0 + 100 }, t0);
    expect(await outbox.claimDue(5, t0 + 200)).toEqual([]);
    expect(await outbox.find(expiring)).toMatchObject({ status: 'dead', last_error: 'expired before it could be delivered' });
  });
});
