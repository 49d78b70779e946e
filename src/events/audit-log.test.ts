import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Store } from '../store/database.ts';
import { AuditLog, canonicalJson, customerActor } from './audit-log.ts';

describe.each(DIALECTS)('AuditLog on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let audit: AuditLog;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    audit = new AuditLog(store.db);
  });
  afterAll(() => close());

  it('keeps one unbroken chain under concurrent appends from many transactions', async () => {
    const appended = await Promise.all(
      Array.from({ length: 30 }, (_, i) => audit.record({ action: 'sign_in.succeeded', actor: customerActor(`c${i}`), subject: { type: 'customer', id: `c${i}` }, details: { method: 'pwd' } })),
    );
    expect([...appended].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await audit.verify(7)).toEqual({ ok: true, entries: 30 });
  });

  it('rolls back with the change it records', async () => {
    await expect(
      store.db.transaction().execute(async (trx) => {
        await audit.append(trx, { action: 'customer.updated', actor: customerActor('x') });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await audit.verify()).toEqual({ ok: true, entries: 30 });
  });

  it('names the entry that was altered, removed, or cut off the end', async () => {
    await sql`update audit_log set details = ${'{"method":"otp"}'} where seq = 12`.execute(store.db);
    expect(await audit.verify()).toMatchObject({ ok: false, broken_at: 12, problem: 'altered', reason: 'its content does not match its hash' });
    await sql`update audit_log set details = ${'{"method":"pwd"}'} where seq = 12`.execute(store.db);
    expect(await audit.verify()).toEqual({ ok: true, entries: 30 });

    await sql`delete from audit_log where seq = 20`.execute(store.db);
    expect(await audit.verify()).toMatchObject({ ok: false, broken_at: 20, problem: 'missing_entry', reason: 'entry 20 is missing' });

    await sql`delete from audit_log where seq >= 20`.execute(store.db);
    expect(await audit.verify()).toMatchObject({ ok: false, broken_at: 20, problem: 'newest_removed', reason: 'the newest entries were removed (the head records more)' });
  });

  it('encodes canonically: key order does not change the encoding', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});
