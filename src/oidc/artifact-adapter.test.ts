import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Store } from '../store/database.ts';
import { ArtifactAdapter, deleteExpiredArtifacts, revokeAccountArtifacts } from './artifact-adapter.ts';

describe.each(DIALECTS)('ArtifactAdapter contract on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
  });
  afterAll(() => close());

  it('stores, overwrites and finds a payload by id, uid and user code', async () => {
    const sessions = new ArtifactAdapter(store.db, 'Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a1' }, 60);
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a2' }, 60);
    expect(await sessions.find('s1')).toEqual({ uid: 'u1', accountId: 'a2' });
    expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1', accountId: 'a2' });
    const devices = new ArtifactAdapter(store.db, 'DeviceCode');
    await devices.upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
    expect(await devices.findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH' });
    expect(await new ArtifactAdapter(store.db, 'AccessToken').find('s1')).toBeUndefined();
  });

  it('hides expired artifacts and deletes them on cleanup', async () => {
    const codes = new ArtifactAdapter(store.db, 'AuthorizationCode');
    await codes.upsert('old', { grantId: 'g0' }, 1);
    await codes.upsert('forever', { grantId: 'g0' }, 0);
    const later = Date.now() + 5000;
    expect(await deleteExpiredArtifacts(store.db, later)).toBeGreaterThanOrEqual(1);
    expect(await codes.find('old')).toBeUndefined();
    expect(await codes.find('forever')).toEqual({ grantId: 'g0' });
  });

  it('consumes once and marks the artifact consumed', async () => {
    const codes = new ArtifactAdapter(store.db, 'AuthorizationCode');
    await codes.upsert('c0', { grantId: 'g0b' }, 60);
    await codes.consume('c0');
    expect(typeof (await codes.find('c0'))?.consumed).toBe('number');
  });

  it('treats a concurrent second consumption as reuse: invalid_grant and the whole grant revoked', async () => {
    const codes = new ArtifactAdapter(store.db, 'AuthorizationCode');
    const tokens = new ArtifactAdapter(store.db, 'AccessToken');
    const grants = new ArtifactAdapter(store.db, 'Grant');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await tokens.upsert('t1', { grantId: 'g1' }, 60);
    await grants.upsert('g1', { accountId: 'a1' }, 60);
    await tokens.upsert('t2', { grantId: 'other' }, 60);
    const results = await Promise.allSettled([codes.consume('c1'), codes.consume('c1'), codes.consume('c1')]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ error: 'invalid_grant' });
    expect(await codes.find('c1')).toBeUndefined();
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await grants.find('g1')).toBeUndefined();
    expect(await tokens.find('t2')).toBeDefined();
  });

  it('refuses a pushed authorization request used twice with invalid_request_uri', async () => {
    const requests = new ArtifactAdapter(store.db, 'PushedAuthorizationRequest');
    await requests.upsert('p1', {}, 60);
    await requests.consume('p1');
    await expect(requests.consume('p1')).rejects.toMatchObject({ error: 'invalid_request_uri' });
  });

  it('records the account of sessions, tokens and interactions, and revokes them all at once', async () => {
    const sessions = new ArtifactAdapter(store.db, 'Session');
    const interactions = new ArtifactAdapter(store.db, 'Interaction');
    const refresh = new ArtifactAdapter(store.db, 'RefreshToken');
    await sessions.upsert('s9', { accountId: 'acct-9' }, 60);
    await interactions.upsert('i9', { session: { accountId: 'acct-9' } }, 60);
    await refresh.upsert('r9', { accountId: 'acct-9', grantId: 'g9' }, 60);
    await refresh.upsert('r10', { accountId: 'acct-10', grantId: 'g10' }, 60);
    await revokeAccountArtifacts(store.db, 'acct-9');
    expect(await sessions.find('s9')).toBeUndefined();
    expect(await interactions.find('i9')).toBeUndefined();
    expect(await refresh.find('r9')).toBeUndefined();
    expect(await refresh.find('r10')).toBeDefined();
  });

  it('does not find identifiers PostgreSQL could not store (NUL, overlong)', async () => {
    const tokens = new ArtifactAdapter(store.db, 'AccessToken');
    expect(await tokens.find('a\0b')).toBeUndefined();
    expect(await tokens.find('x'.repeat(10_000))).toBeUndefined();
  });

  it('revokes every artifact of a grant for its model, and destroys one', async () => {
    const tokens = new ArtifactAdapter(store.db, 'RefreshToken');
    await tokens.upsert('r1', { grantId: 'g2' }, 60);
    await tokens.upsert('r2', { grantId: 'g2' }, 60);
    await tokens.upsert('r3', { grantId: 'other' }, 60);
    const access = new ArtifactAdapter(store.db, 'AccessToken');
    await access.upsert('a1', { grantId: 'g2' }, 60);
    await tokens.revokeByGrantId('g2');
    expect(await tokens.find('r1')).toBeUndefined();
    expect(await tokens.find('r2')).toBeUndefined();
    expect(await tokens.find('r3')).toBeDefined();
    expect(await access.find('a1')).toBeDefined();
    await tokens.destroy('r3');
    expect(await tokens.find('r3')).toBeUndefined();
  });
});
