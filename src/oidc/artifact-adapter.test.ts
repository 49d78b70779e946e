import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestRedis } from '../../test/support/test-redis.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Store } from '../store/database.ts';
import { deleteExpiredArtifacts } from './artifact-adapter.ts';
import { ArtifactStorage, artifactBatching, MODELS_IN_REDIS } from './artifact-storage.ts';
import { RedisArtifacts } from './redis-artifact-adapter.ts';

/**
 * One contract for oidc-provider's storage, whichever holds a model: the database alone (SQLite,
 * PostgreSQL), or PostgreSQL with the short-lived models in Redis, where a grant or an account
 * spans both and is revoked in both.
 */
const BACKENDS = [
  { name: 'sqlite', dialect: 'sqlite', redis: false },
  { name: 'postgres', dialect: 'postgres', redis: false },
  { name: 'postgres + redis', dialect: 'postgres', redis: true },
] as const;

describe.each(BACKENDS)('oidc-provider artifact storage contract on $name', ({ dialect, redis: withRedis }) => {
  let store: Store;
  let storage: ArtifactStorage;
  let close: () => Promise<void>;
  let redisClient: Redis | undefined;
  const adapter = (model: string) => storage.adapter(model);

  beforeAll(async () => {
    const opened = await openTestStore(dialect);
    const redis = withRedis ? await openTestRedis() : undefined;
    store = opened.store;
    storage = new ArtifactStorage(store.db, redis && new RedisArtifacts(redis.redis), artifactBatching(store));
    redisClient = redis?.redis;
    close = async () => {
      await redis?.close();
      await opened.close();
    };
  });
  afterAll(() => close());

  it.runIf(withRedis)('keeps the short-lived models in Redis, with their lifetime, and the durable ones in the database', async () => {
    expect([...MODELS_IN_REDIS]).toEqual(expect.arrayContaining(['Interaction', 'AuthorizationCode', 'AccessToken']));
    const code = adapter('AuthorizationCode');
    await code.upsert('short', { grantId: 'g-short' }, 1);
    const refresh = adapter('RefreshToken');
    await refresh.upsert('durable', { grantId: 'g-short' }, 60);
    const rows = await store.db.selectFrom('oidc_artifacts').select('model').where('grant_id', '=', 'g-short').execute();
    expect(rows.map((row) => row.model)).toEqual(['RefreshToken']);
    expect(await code.find('short')).toEqual({ grantId: 'g-short' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await code.find('short')).toBeUndefined();
  });

  it('stores, overwrites and finds a payload by id, uid and user code', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a1' }, 60);
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a2' }, 60);
    expect(await sessions.find('s1')).toEqual({ uid: 'u1', accountId: 'a2' });
    expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1', accountId: 'a2' });
    const devices = adapter('DeviceCode');
    await devices.upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
    expect(await devices.findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH' });
    expect(await adapter('AccessToken').find('s1')).toBeUndefined();
  });

  it('hides expired artifacts and deletes them on cleanup', async () => {
    const codes = adapter(withRedis ? 'Session' : 'AuthorizationCode');
    await codes.upsert('old', { grantId: 'g0' }, 1);
    await codes.upsert('forever', { grantId: 'g0' }, 0);
    const later = Date.now() + 5000;
    expect(await deleteExpiredArtifacts(store.db, later)).toBeGreaterThanOrEqual(1);
    expect(await codes.find('old')).toBeUndefined();
    expect(await codes.find('forever')).toEqual({ grantId: 'g0' });
  });

  it('consumes once and marks the artifact consumed', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c0', { grantId: 'g0b' }, 60);
    await codes.consume('c0');
    expect(typeof (await codes.find('c0'))?.consumed).toBe('number');
  });

  it('treats a concurrent second consumption as reuse: invalid_grant and the whole grant revoked', async () => {
    const codes = adapter('AuthorizationCode');
    const tokens = adapter('AccessToken');
    const grants = adapter('Grant');
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

  it('refuses to consume a code whose grant was revoked after oidc-provider read it', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('late', { grantId: 'g-late' }, 60);
    expect(await codes.find('late')).toBeDefined();
    await storage.revokeGrants(store.db, ['g-late']);
    await expect(codes.consume('late')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await codes.find('late')).toBeUndefined();
  });

  it('keeps revoking what a grant holds after many writes (expired index members dropped, live ones kept)', async () => {
    const tokens = adapter('AccessToken');
    for (let i = 0; i < 20; i++) await tokens.upsert(`many-${i}`, { grantId: 'g-many', accountId: 'acct-many' }, i < 10 ? 1 : 60);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await tokens.upsert('many-last', { grantId: 'g-many', accountId: 'acct-many' }, 60);
    await tokens.revokeByGrantId('g-many');
    for (const id of ['many-0', 'many-15', 'many-last']) expect(await tokens.find(id)).toBeUndefined();
  });

  it('refuses a pushed authorization request used twice with invalid_request_uri', async () => {
    const requests = adapter('PushedAuthorizationRequest');
    await requests.upsert('p1', {}, 60);
    await requests.consume('p1');
    await expect(requests.consume('p1')).rejects.toMatchObject({ error: 'invalid_request_uri' });
  });

  it('records the account of sessions, tokens and interactions, and revokes them all at once', async () => {
    const sessions = adapter('Session');
    const interactions = adapter('Interaction');
    const refresh = adapter('RefreshToken');
    await sessions.upsert('s9', { accountId: 'acct-9' }, 60);
    await interactions.upsert('i9', { session: { accountId: 'acct-9' } }, 60);
    await refresh.upsert('r9', { accountId: 'acct-9', grantId: 'g9' }, 60);
    await refresh.upsert('r10', { accountId: 'acct-10', grantId: 'g10' }, 60);
    const tokens = adapter('AccessToken');
    await tokens.upsert('t9', { accountId: 'acct-9', grantId: 'g9' }, 60);
    await storage.revokeAccount(store.db, 'acct-9');
    expect(await tokens.find('t9')).toBeUndefined();
    expect(await sessions.find('s9')).toBeUndefined();
    expect(await interactions.find('i9')).toBeUndefined();
    expect(await refresh.find('r9')).toBeUndefined();
    expect(await refresh.find('r10')).toBeDefined();
  });

  it('gathers the writes of one turn and finds an upsert still queued (read-your-writes)', async () => {
    const tokens = adapter('RefreshToken');
    const grants = adapter('Grant');
    // Not awaited: the writes are queued for the same batch; each find waits for its model's writes.
    const writes = [tokens.upsert('queued-1', { grantId: 'g-q' }, 60), grants.upsert('queued-g', { accountId: 'a' }, 60), tokens.upsert('queued-2', { grantId: 'g-q' }, 60)];
    const found = await Promise.all([tokens.find('queued-1'), grants.find('queued-g'), tokens.find('queued-2')]);
    expect(found).toEqual([{ grantId: 'g-q' }, { accountId: 'a' }, { grantId: 'g-q' }]);
    await Promise.all(writes);
    // A consume right after an upsert not yet committed finds the row (on PostgreSQL it waits for the upsert).
    void tokens.upsert('queued-3', { grantId: 'g-q' }, 60);
    await tokens.consume('queued-3');
    expect(typeof (await tokens.find('queued-3'))?.consumed).toBe('number');
  });

  it.runIf(dialect === 'sqlite')('on SQLite, sends every write through the group commit, so a find sees a destroy still queued', async () => {
    expect(store.groupCommit).toBeDefined();
    const tokens = adapter('RefreshToken');
    await tokens.upsert('queued-4', { grantId: 'g-q' }, 60);
    void tokens.destroy('queued-4');
    expect(await tokens.find('queued-4')).toBeUndefined();
  });

  it.runIf(dialect === 'postgres')('on PostgreSQL, a row the batch could not write rejects its caller only; the last of two upserts of one artifact wins', async () => {
    const grants = adapter('Grant');
    const results = await Promise.allSettled([
      grants.upsert('batch-1', { accountId: 'first' }, 60),
      grants.upsert('batch\0refused', { accountId: 'x' }, 60),
      grants.upsert('batch-2', { accountId: 'b' }, 60),
      grants.upsert('batch-1', { accountId: 'second' }, 60),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await grants.find('batch-1')).toEqual({ accountId: 'second' });
    expect(await grants.find('batch-2')).toEqual({ accountId: 'b' });
  });

  it('does not find identifiers PostgreSQL could not store (NUL, overlong)', async () => {
    const tokens = adapter('AccessToken');
    expect(await tokens.find('a\0b')).toBeUndefined();
    expect(await tokens.find('x'.repeat(10_000))).toBeUndefined();
  });

  it.runIf(withRedis)('writes an index that lives as long as its longest member and loses expired ones, and lookups that expire with the artifact', async () => {
    const redis = redisClient!;
    const tokens = adapter('AccessToken');
    await tokens.upsert('idx-short', { grantId: 'g-idx', accountId: 'acct-idx' }, 1);
    const first = await redis.pttl('oidc-grant:g-idx');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(1000);
    await tokens.upsert('idx-long', { grantId: 'g-idx', accountId: 'acct-idx' }, 120);
    // Extended to the longer member (GT) on both indexes …
    for (const index of ['oidc-grant:g-idx', 'oidc-account:acct-idx']) expect(await redis.pttl(index)).toBeGreaterThan(100_000);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await tokens.upsert('idx-brief', { grantId: 'g-idx', accountId: 'acct-idx' }, 30);
    // … never shortened by a shorter one, and the expired member is gone.
    expect(await redis.pttl('oidc-grant:g-idx')).toBeGreaterThan(100_000);
    expect(await redis.zrange('oidc-grant:g-idx', 0, -1)).toEqual(['oidc:AccessToken:idx-brief', 'oidc:AccessToken:idx-long']);
    const interactions = adapter('Interaction');
    await interactions.upsert('idx-interaction', { uid: 'uid-idx', accountId: 'acct-idx' }, 45);
    const lookups = await redis.keys(`${redis.options.keyPrefix}*uid-idx*`);
    expect(lookups).toHaveLength(1);
    const lookupTtl = await redis.pttl(lookups[0]!.slice(redis.options.keyPrefix!.length));
    expect(lookupTtl).toBeGreaterThan(40_000);
    expect(lookupTtl).toBeLessThanOrEqual(45_000);
    expect(await interactions.findByUid!('uid-idx')).toMatchObject({ uid: 'uid-idx' });
  });

  it('revokes every artifact of a grant for its model, and destroys one', async () => {
    const tokens = adapter('RefreshToken');
    await tokens.upsert('r1', { grantId: 'g2' }, 60);
    await tokens.upsert('r2', { grantId: 'g2' }, 60);
    await tokens.upsert('r3', { grantId: 'other' }, 60);
    const access = adapter('AccessToken');
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
