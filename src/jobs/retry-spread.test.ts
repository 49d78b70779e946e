import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import { WebhookDeliveries } from '../events/webhook-deliveries.ts';
import { Outbox } from '../messaging/outbox.ts';
import { PrivacyTasks } from '../privacy/privacy-tasks.ts';
import type { Store } from '../store/database.ts';

const COUNT = 200;
/** Every queue's first retry: at least half of this, less than all of it. */
const CEILING = 60_000;
const POLICY = { baseDelayMs: CEILING, maxDelayMs: 10 * CEILING, maxAttempts: 10, leaseMs: 30_000 };
const OUTAGE = 5_000_000;

/** The failures' next attempts, relative to the moment they failed together. */
function expectSpread(nextAttempts: number[]): void {
  const delays = nextAttempts.map((at) => at - OUTAGE);
  expect(delays).toHaveLength(COUNT);
  // None sooner than half the ceiling, none at or after it.
  expect(Math.min(...delays)).toBeGreaterThanOrEqual(CEILING / 2);
  expect(Math.max(...delays)).toBeLessThan(CEILING);
  // Spread over the window, not at one instant: 200 uniform draws over 30 s are nearly all
  // distinct and cover most of it (all within 40% of it has a chance below 1e-30).
  expect(new Set(delays).size).toBeGreaterThan(COUNT * 0.9);
  expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan((CEILING / 2) * 0.6);
  // And no one second holds more than a small share of them (a second is 1/30 of the window).
  const perSecond = new Map<number, number>();
  for (const delay of delays) perSecond.set(Math.floor(delay / 1000), (perSecond.get(Math.floor(delay / 1000)) ?? 0) + 1);
  expect(Math.max(...perSecond.values())).toBeLessThan(COUNT / 8);
}

describe.each(DIALECTS)('retries after an outage on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
  });
  afterAll(() => close());

  it('spreads the outbox messages that failed at one moment (SMTP down) over the retry window', async () => {
    const outbox = new Outbox(store.db, Buffer.alloc(32, 7), POLICY);
    for (let i = 0; i < COUNT; i++) await outbox.enqueue(store.db, { topic: 'mail', payload: { n: i } }, OUTAGE - 1000);
    const claimed = await outbox.claimDue(COUNT, OUTAGE);
    expect(claimed).toHaveLength(COUNT);
    for (const entry of claimed) expect(await outbox.failed(entry, 'smtp could not be reached', true, OUTAGE)).toBe('retry');
    const rows = await store.db.selectFrom('outbox').select('next_attempt_at').execute();
    expectSpread(rows.map((row) => Number(row.next_attempt_at)));
    // They come due a few at a time as the window passes, not all at once.
    expect((await outbox.claimDue(COUNT, OUTAGE + CEILING / 2 + 3000)).length).toBeLessThan(COUNT / 4);
  });

  it('spreads the webhook deliveries that failed at one moment (receiver down) over the retry window', async () => {
    const db = store.db;
    await db.insertInto('webhook_subscriptions').values({ id: 'sub-crm', url: 'https://crm.example.com/hook', event_types: '["*"]', secret: 'sealed', description: null, created_at: OUTAGE, owner: null }).execute();
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < COUNT; i++) {
        await trx.insertInto('events').values({ id: `evt-${i}`, type: 'customer.updated', customer_id: `cus-${i}`, data: '{}', occurred_at: OUTAGE - 1000 }).execute();
        await WebhookDeliveries.enqueue(trx, { eventId: `evt-${i}`, orderingKey: `cus-${i}`, subscriptionIds: ['sub-crm'] }, OUTAGE - 1000);
      }
    });
    const deliveries = new WebhookDeliveries(db, dialect, POLICY);
    const claimed = await deliveries.claimDue(COUNT, OUTAGE);
    expect(claimed).toHaveLength(COUNT);
    for (const delivery of claimed) expect(await deliveries.failed(delivery, 'receiver answered 503', OUTAGE)).toBe('retry');
    const rows = await db.selectFrom('webhook_deliveries').select('next_attempt_at').execute();
    expectSpread(rows.map((row) => Number(row.next_attempt_at)));
  });

  it('spreads the privacy tasks that failed at one moment (a system down) over the retry window', async () => {
    const db = store.db;
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < COUNT; i++) {
        await trx.insertInto('privacy_requests').values({ id: `req-${i}`, kind: 'erasure', customer_id: `cus-${i}`, state: 'in_progress', source: 'customer', received_at: OUTAGE - 1000, verified_at: OUTAGE - 1000, verification: 'fresh sign-in', due_at: OUTAGE + 30 * 86_400_000, extension_reason: null, completed_at: null, report: null, version: 1, overdue_announced_at: null }).execute();
        await trx.insertInto('privacy_tasks').values({ id: `task-${i}`, request_id: `req-${i}`, system: 'crm', access: 'api', mode: 'delete', reference: null, categories: '[]', state: 'pending', attempts: 0, next_attempt_at: OUTAGE - 1000, claimed_until: 0, last_error: null, receipt: null, export_data: null, created_at: OUTAGE - 1000, completed_at: null }).execute();
      }
    });
    const tasks = new PrivacyTasks(db, dialect, { ...POLICY, callbackWaitMs: 3_600_000 });
    const claimed = await tasks.claimDue(COUNT, OUTAGE);
    expect(claimed).toHaveLength(COUNT);
    for (const task of claimed) expect(await tasks.failed(task, 'crm answered 503', db, OUTAGE)).toBe('retry');
    const rows = await db.selectFrom('privacy_tasks').select('next_attempt_at').execute();
    expectSpread(rows.map((row) => Number(row.next_attempt_at)));
  });

  it('keeps an injected random source: the same draws give the same schedule', async () => {
    const draws = [0, 0.5, 0.999_999];
    const outbox = new Outbox(store.db, Buffer.alloc(32, 7), POLICY, () => draws.shift() ?? 0);
    await sql`delete from outbox`.execute(store.db);
    for (let i = 0; i < 3; i++) await outbox.enqueue(store.db, { topic: 'mail', payload: { n: i } }, OUTAGE);
    for (const entry of await outbox.claimDue(3, OUTAGE)) await outbox.failed(entry, 'down', true, OUTAGE);
    const rows = await store.db.selectFrom('outbox').select('next_attempt_at').execute();
    expect(rows.map((row) => Number(row.next_attempt_at) - OUTAGE).sort((a, b) => a - b)).toEqual([30_000, 45_000, 59_999]);
  });
});
