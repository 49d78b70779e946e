import type { Redis } from 'ioredis';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
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

  constructor(redis: Redis) {
    this.#redis = redis;
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
    await this.#redis.eval(REVOKE_SCRIPT, 1, index, this.#redis.options.keyPrefix ?? '', model ? `oidc:${model}:` : '');
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
    const commands: Array<Array<string | number>> = [['set', key, json, 'EX', ttl]];
    const indexes = [payload.grantId && grantKey(payload.grantId), accountOf(payload) && accountKey(accountOf(payload)!)].filter((index): index is string => Boolean(index));
    const now = Date.now();
    for (const index of indexes) {
      // Expired members go; a new set gets this lifetime (NX), an older one is extended to it when longer (GT).
      commands.push(['zadd', index, now + ttl * 1000, key], ['zremrangebyscore', index, '-inf', now], ['expire', index, ttl, 'NX'], ['expire', index, ttl, 'GT']);
    }
    if (payload.uid) commands.push(['set', this.#lookupKey('uid', payload.uid), id, 'EX', ttl]);
    if (payload.userCode) commands.push(['set', this.#lookupKey('user-code', payload.userCode), id, 'EX', ttl]);
    // An artifact with nothing to index (a client_credentials token) is one SET, without a
    // MULTI … EXEC around it (less work for Redis and for this process on every such token).
    if (commands.length === 1) await this.#redis.set(key, json, 'EX', ttl);
    else await this.#redis.multi(commands).exec();
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
    const first = await this.#redis.eval(CONSUME_SCRIPT, 2, key, consumedKey(key), String(Date.now()));
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
