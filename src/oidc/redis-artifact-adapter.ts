import type { Redis } from 'ioredis';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { redisScript } from '../store/redis.ts';
import { accountOf, storableKey } from './artifact-adapter.ts';

/** An artifact without a lifetime (oidc-provider gives every one of these models one) still ends. */
const FALLBACK_TTL_SECONDS = 24 * 3600;

/**
 * Marks an artifact consumed, once: `SET … NX` of its consumed marker with the artifact's own
 * remaining lifetime. 1 for the first caller, 0 for every later or concurrent one, -1 when the
 * artifact is gone meanwhile (revoked or expired after oidc-provider read it): not redeemable.
 */
const CONSUME_SCRIPT = `
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then return -1 end
if redis.call('set', KEYS[2], ARGV[1], 'NX', 'PX', ttl) then return 1 end
return 0`;

/**
 * Deletes the artifacts an index (KEYS[1]) lists, with their consumed markers, in one step so an
 * artifact written meanwhile cannot lose its index entry. ARGV[1]: the key prefix (members are
 * stored without it); ARGV[2]: only members of this model ('' for all, and the index goes too).
 * The artifact keys are derived inside the script: fine on one Redis, not on Redis Cluster.
 */
const REVOKE_SCRIPT = `
local members = redis.call('zrange', KEYS[1], 0, -1)
local removed = 0
for _, key in ipairs(members) do
  if ARGV[2] == '' or string.sub(key, 1, #ARGV[2]) == ARGV[2] then
    redis.call('del', ARGV[1] .. key, ARGV[1] .. key .. ':consumed')
    if ARGV[2] ~= '' then redis.call('zrem', KEYS[1], key) end
    removed = removed + 1
  end
end
if ARGV[2] == '' then redis.call('del', KEYS[1]) end
return removed`;

/**
 * Writes an artifact with its indexes and lookups in one step. KEYS[1]: the artifact; then
 * ARGV[5] index keys (by grant, by account), scored by the artifact's expiry (ARGV[3]), losing
 * members expired by now (ARGV[4]); a new index gets the artifact's lifetime (NX), an older one is
 * extended to it when longer (GT); members are the artifact key without the prefix (ARGV[6]). The
 * remaining keys are lookups (uid, user code) holding the artifact id (ARGV[7]).
 */
const UPSERT_SCRIPT = `
local ttl = tonumber(ARGV[2])
redis.call('set', KEYS[1], ARGV[1], 'EX', ttl)
local lastIndex = 1 + tonumber(ARGV[5])
for i = 2, #KEYS do
  if i <= lastIndex then
    redis.call('zadd', KEYS[i], ARGV[3], ARGV[6])
    redis.call('zremrangebyscore', KEYS[i], '-inf', ARGV[4])
    redis.call('expire', KEYS[i], ttl, 'NX')
    redis.call('expire', KEYS[i], ttl, 'GT')
  else
    redis.call('set', KEYS[i], ARGV[7], 'EX', ttl)
  end
end
return 1`;

const artifactKey = (model: string, id: string) => `oidc:${model}:${id}`;
const consumedKey = (key: string) => `${key}:consumed`;
const grantKey = (grantId: string) => `oidc-grant:${grantId}`;
const accountKey = (accountId: string) => `oidc-account:${accountId}`;

/**
 * Short-lived oidc-provider models in Redis (REDIS_URL), each key expiring with its artifact.
 * Two sorted sets index them for revocation: the artifacts of a grant (refresh-token reuse, a
 * session ended) and of an account (blocked, erased), scored by expiry. Each write drops the
 * members that expired, and a set lives as long as its longest member. Needs Redis 7.0 or later
 * (EXPIRE … NX / GT).
 */
export class RedisArtifacts {
  readonly #redis: Redis;

  /** UPSERT_SCRIPT: the number of keys, the keys, then its arguments. */
  readonly upsertScript: (...args: Array<string | number>) => Promise<number>;
  /** CONSUME_SCRIPT: the artifact key, its consumed marker, now. */
  readonly consumeScript: (...args: Array<string | number>) => Promise<number>;
  readonly #revokeScript: (...args: Array<string | number>) => Promise<number>;

  constructor(redis: Redis) {
    this.#redis = redis;
    this.upsertScript = redisScript(redis, 'portvaktArtifactUpsert', UPSERT_SCRIPT);
    this.consumeScript = redisScript(redis, 'portvaktArtifactConsume', CONSUME_SCRIPT, 2);
    this.#revokeScript = redisScript(redis, 'portvaktArtifactRevoke', REVOKE_SCRIPT, 1);
  }

  /** `revokeGrant` ends a grant everywhere (database and Redis) when a single-use artifact is reused. */
  adapter(model: string, revokeGrant: (grantId: string) => Promise<void>): Adapter {
    return new RedisArtifactAdapter(this.#redis, model, this, revokeGrant);
  }

  /** Every artifact of the grant, or only those of one model. */
  async revokeGrant(grantId: string, model?: string): Promise<void> {
    await this.#deleteIndexed(grantKey(grantId), model);
  }

  async revokeAccount(accountId: string): Promise<void> {
    await this.#deleteIndexed(accountKey(accountId));
  }

  async #deleteIndexed(index: string, model?: string): Promise<void> {
    await this.#revokeScript(index, this.#redis.options.keyPrefix ?? '', model ? `oidc:${model}:` : '');
  }
}

class RedisArtifactAdapter implements Adapter {
  readonly #redis: Redis;
  readonly #model: string;
  readonly #owner: RedisArtifacts;
  readonly #revokeGrant: (grantId: string) => Promise<void>;

  constructor(redis: Redis, model: string, owner: RedisArtifacts, revokeGrant: (grantId: string) => Promise<void>) {
    this.#redis = redis;
    this.#model = model;
    this.#owner = owner;
    this.#revokeGrant = revokeGrant;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const ttl = expiresIn > 0 ? Math.ceil(expiresIn) : FALLBACK_TTL_SECONDS;
    const key = artifactKey(this.#model, id);
    const json = JSON.stringify(payload);
    const indexes = [payload.grantId && grantKey(payload.grantId), accountOf(payload) && accountKey(accountOf(payload)!)].filter((index): index is string => Boolean(index));
    const lookups = [payload.uid && this.#lookupKey('uid', payload.uid), payload.userCode && this.#lookupKey('user-code', payload.userCode)].filter((lookup): lookup is string => Boolean(lookup));
    // An artifact with nothing to index or look up (a client_credentials token) is one SET.
    if (indexes.length === 0 && lookups.length === 0) return void (await this.#redis.set(key, json, 'EX', ttl));
    const now = Date.now();
    const keys = [key, ...indexes, ...lookups];
    await this.#owner.upsertScript(keys.length, ...keys, json, ttl, now + ttl * 1000, now, indexes.length, key, id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!storableKey(id)) return undefined;
    const key = artifactKey(this.#model, id);
    const [json, consumed] = await this.#redis.mget(key, consumedKey(key));
    if (!json) return undefined;
    const payload = JSON.parse(json) as AdapterPayload;
    if (consumed) payload.consumed = Math.floor(Number(consumed) / 1000);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('user-code', userCode);
  }

  /** As in the database adapter: the first consumption wins, any other is reuse and revokes the grant. */
  async consume(id: string): Promise<void> {
    const key = artifactKey(this.#model, id);
    const first = await this.#owner.consumeScript(key, consumedKey(key), Date.now());
    if (first === 1) return;
    if (this.#model === 'PushedAuthorizationRequest') throw new errors.InvalidRequestUri('request_uri was already used');
    if (first === -1) throw new errors.InvalidGrant(`${this.#model} is no longer valid`);
    const json = await this.#redis.get(key);
    const grantId = json ? (JSON.parse(json) as AdapterPayload).grantId : undefined;
    if (grantId) await this.#revokeGrant(grantId);
    throw new errors.InvalidGrant(`${this.#model} was already used`);
  }

  async destroy(id: string): Promise<void> {
    const key = artifactKey(this.#model, id);
    await this.#redis.del(key, consumedKey(key));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#owner.revokeGrant(grantId, this.#model);
  }

  #lookupKey(kind: 'uid' | 'user-code', value: string): string {
    return `oidc-${kind}:${this.#model}:${value}`;
  }

  async #findBy(kind: 'uid' | 'user-code', value: string): Promise<AdapterPayload | undefined> {
    if (!storableKey(value)) return undefined;
    const id = await this.#redis.get(this.#lookupKey(kind, value));
    return id ? this.find(id) : undefined;
  }
}
