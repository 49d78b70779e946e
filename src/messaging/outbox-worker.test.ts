import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Store } from '../store/database.ts';
import { Outbox } from './outbox.ts';
import { OutboxWorker } from './outbox-worker.ts';

const KEY = Buffer.alloc(32, 5);
const quiet = { warn() {}, error() {} };

describe('OutboxWorker', () => {
  let store: Store;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close } = await openTestStore('sqlite'));
  });
  afterAll(() => close());

  it('sends a concurrent topic side by side, so receivers that hang do not hold up the mail behind them', async () => {
    const outbox = new Outbox(store.db, KEY);
    let release!: () => void;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    const started: number[] = [];
    const mailed: number[] = [];
    // Written before the worker listens, so one pass finds them all in one batch.
    for (let n = 0; n < 3; n++) await outbox.enqueue(store.db, { topic: 'logout', payload: { n } });
    await outbox.enqueue(store.db, { topic: 'mail', payload: { n: 9 } });
    const worker = new OutboxWorker(outbox, { mail: async (payload: { n: number }) => void mailed.push(payload.n) }, quiet, 60_000);
    worker.route('logout', async (payload: { n: number }) => {
      started.push(payload.n);
      await hanging;
    }, { concurrent: true });
    worker.start();
    const deadline = Date.now() + 5000;
    while ((started.length < 3 || mailed.length < 1) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    // All three hang at once, and the mail went out meanwhile.
    expect(started.sort()).toEqual([0, 1, 2]);
    expect(mailed).toEqual([9]);
    release();
    await worker.stop();
    const rows = await store.db.selectFrom('outbox').select(['topic', 'status']).execute();
    expect(rows.every((row) => row.status === 'delivered')).toBe(true);
  });
});
