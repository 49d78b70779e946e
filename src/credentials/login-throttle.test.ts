import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Store } from '../store/database.ts';
import { LoginThrottle } from './login-throttle.ts';

const SETTINGS = { accountFreeAttempts: 3, ipFreeAttempts: 100, delayBaseSeconds: 2, delayMaxSeconds: 10, failureWindowSeconds: 60 };

describe.each(DIALECTS)('LoginThrottle on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let throttle: LoginThrottle;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    throttle = new LoginThrottle(store.db, SETTINGS, Buffer.alloc(32, 1));
  });
  afterAll(() => close());

  it('locks after the free attempts, doubling the delay up to the ceiling', async () => {
    const account = throttle.accountKey('default', 'a@example.se');
    const ip = throttle.ipKey('127.0.0.1');
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) await throttle.recordFailure(account, ip, t0 + i);
    expect(await throttle.check([account, ip], t0 + 3)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    await throttle.recordFailure(account, ip, t0 + 10);
    expect(await throttle.check([account], t0 + 10)).toEqual({ allowed: false, retryAfterSeconds: 4 });
    for (let i = 0; i < 5; i++) await throttle.recordFailure(account, ip, t0 + 20 + i);
    expect(await throttle.check([account], t0 + 30)).toMatchObject({ retryAfterSeconds: 10 });
    expect(await throttle.check([account], t0 + 30_000)).toEqual({ allowed: true });
  });

  it('counts concurrent failures exactly, forgets after the window, resets on success, hides the IP', async () => {
    const account = throttle.accountKey('default', 'b@example.se');
    const ip = throttle.ipKey('10.0.0.1');
    expect(ip).not.toContain('10.0.0.1');
    const t0 = 5_000_000;
    await Promise.all(Array.from({ length: 10 }, () => throttle.recordFailure(account, ip, t0)));
    const row = await store.db.selectFrom('login_throttle').select('failures').where('key', '=', account).executeTakeFirstOrThrow();
    expect(row.failures).toBe(10);
    await throttle.recordFailure(account, ip, t0 + 61_000);
    const reset = await store.db.selectFrom('login_throttle').select('failures').where('key', '=', account).executeTakeFirstOrThrow();
    expect(reset.failures).toBe(1);
    await throttle.recordSuccess(account);
    expect(await throttle.check([account], t0 + 61_001)).toEqual({ allowed: true });
    expect(await throttle.deleteStale(t0 + 10_000_000)).toBeGreaterThan(0);
    expect(await store.db.selectFrom('login_throttle').select('key').where('key', '=', ip).execute()).toEqual([]);
  });
});
