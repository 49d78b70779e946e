import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Store } from '../store/database.ts';
import { clientNetwork } from './client-address.ts';
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

  it('allows the free attempts, then locks for base·2ⁿ seconds up to the ceiling', async () => {
    const account = throttle.accountKey('default', 'a@example.se');
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(await throttle.attempt([account], t0 + i)).toEqual({ allowed: true });
    expect(await throttle.attempt([account], t0 + 3)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(await throttle.attempt([account], t0 + 2002)).toEqual({ allowed: true });
    expect(await throttle.attempt([account], t0 + 2003)).toEqual({ allowed: false, retryAfterSeconds: 4 });
    let at = t0 + 7000;
    for (let i = 0; i < 4; i++) {
      expect((await throttle.attempt([account], at)).allowed).toBe(true);
      at += 11_000;
    }
    expect(await throttle.attempt([account], at - 10_999)).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('lets exactly the free attempts through a burst of parallel guesses', async () => {
    const account = throttle.accountKey('default', 'burst@example.se');
    const results = await Promise.all(Array.from({ length: 40 }, () => throttle.attempt([account], 2_000_000)));
    expect(results.filter((result) => result.allowed)).toHaveLength(3);
  });

  it('restarts the count after a quiet window; success clears the account and refunds the network', async () => {
    const account = throttle.accountKey('default', 'b@example.se');
    const network = throttle.ipKey('10.0.0.1');
    const t0 = 5_000_000;
    await throttle.attempt([network, account], t0);
    await throttle.attempt([network, account], t0 + 1);
    await throttle.attempt([network, account], t0 + 61_002);
    const failures = async (key: string) =>
      (await store.db.selectFrom('login_throttle').select('failures').where('key', '=', key).executeTakeFirst())?.failures;
    expect(await failures(account.key)).toBe(1);
    expect(await failures(network.key)).toBe(1);
    await throttle.succeeded(account, network);
    expect(await failures(account.key)).toBeUndefined();
    expect(await failures(network.key)).toBe(0);
    expect(await throttle.deleteStale(t0 + 10_000_000)).toBeGreaterThan(0);
  });

  it('takes sign-ins of the same accounts from one network at once without a deadlock (attempts and successes interleaved)', async () => {
    const network = throttle.ipKey('10.9.9.9');
    const accounts = [0, 1, 2].map((i) => throttle.accountKey('default', `together${i}@example.se`));
    const rounds = Array.from({ length: 30 }, (_, i) => accounts[i % 3]!);
    await Promise.all(
      rounds.map(async (account, i) => {
        await throttle.attempt([network, account], 9_000_000 + i);
        await throttle.succeeded(account, network);
      }),
    );
  });

  it('keeps networks as keyed hashes and counts an IPv6 /64 as one client', () => {
    const key = throttle.ipKey('10.0.0.1').key;
    expect(key).not.toContain('10.0.0.1');
    expect(throttle.ipKey('2001:db8:1:2::1').key).toBe(throttle.ipKey('2001:db8:1:2:ffff:ffff:ffff:ffff').key);
    expect(throttle.ipKey('2001:db8:1:2::1').key).not.toBe(throttle.ipKey('2001:db8:1:3::1').key);
    expect(throttle.ipKey('::ffff:10.0.0.1').key).toBe(key);
  });
});

describe('clientNetwork', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0001:0002:0003:0004:0005:0006', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s → %s', (address, network) => expect(clientNetwork(address)).toBe(network));
});
