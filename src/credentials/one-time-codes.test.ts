import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Store } from '../store/database.ts';
import { OneTimeCodes } from './one-time-codes.ts';

const KEY = Buffer.alloc(32, 9);

describe.each(DIALECTS)('OneTimeCodes on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let codes: OneTimeCodes;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    codes = new OneTimeCodes(store.db, KEY, { maxAttempts: 3, ttlMs: 60_000 });
  });
  afterAll(() => close());

  const issue = (flowId: string, now = Date.now()) => codes.issue(store.db, { purpose: 'email_sign_in', flowId, customerId: null, target: 'a@example.se' }, now);

  it('stores only keyed hashes, and of concurrent right entries exactly one succeeds', async () => {
    const issued = await issue('flow-a');
    const row = await store.db.selectFrom('one_time_codes').selectAll().where('id', '=', issued.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(issued.code);
    expect(JSON.stringify(row)).not.toContain(issued.linkToken);
    const results = await Promise.all([1, 2].map(() => codes.check('flow-a', 'email_sign_in', issued.code)));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(await codes.redeemLink('email_sign_in', 'flow-a', issued.linkToken)).toBeUndefined();
  });

  it('dies after the allowed wrong entries, the right code included afterwards', async () => {
    const issued = await issue('flow-b');
    const wrong = issued.code === '000000' ? '000001' : '000000';
    expect(await codes.check('flow-b', 'email_sign_in', wrong)).toEqual({ ok: false, reason: 'wrong_code', left: 2 });
    expect(await codes.check('flow-b', 'email_sign_in', 'abc')).toEqual({ ok: false, reason: 'wrong_code', left: 1 });
    expect(await codes.check('flow-b', 'email_sign_in', wrong)).toEqual({ ok: false, reason: 'exhausted' });
    expect(await codes.check('flow-b', 'email_sign_in', issued.code)).toEqual({ ok: false, reason: 'exhausted' });
    expect(await codes.redeemLink('email_sign_in', 'flow-b', issued.linkToken)).toBeUndefined();
  });

  it('binds codes and links to their flow and purpose, lets a new code replace the old, and expires them', async () => {
    const first = await issue('flow-c');
    const second = await issue('flow-c');
    expect(await codes.redeemLink('email_sign_in', 'flow-c', first.linkToken)).toBeUndefined();
    expect(await codes.redeemLink('email_sign_in', 'flow-other', second.linkToken)).toBeUndefined();
    expect(await codes.redeemLink('password_reset', 'flow-c', second.linkToken)).toBeUndefined();
    expect((await codes.check('flow-other', 'email_sign_in', second.code)).ok).toBe(false);
    expect(await codes.redeemLink('email_sign_in', 'flow-c', second.linkToken)).toMatchObject({ id: second.id });

    const old = await issue('flow-d', 1_000);
    expect(await codes.check('flow-d', 'email_sign_in', old.code, 61_001)).toEqual({ ok: false, reason: 'no_code' });
    expect(await codes.redeemLink('email_sign_in', 'flow-d', old.linkToken, 61_001)).toBeUndefined();
    expect(await codes.redeemLink('email_sign_in', 'flow-d', old.linkToken, 60_999)).toMatchObject({ id: old.id });
  });
});
