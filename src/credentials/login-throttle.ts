import { createHmac } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config/load-config.ts';
import type { Database } from '../store/schema.ts';

export type ThrottleSettings = Config['throttle'];

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Failed sign-ins are counted per account (the e-mail as typed, whether or not it exists, so the
 * throttle reveals nothing) and per client IP. After the free attempts each further failure locks
 * the key for base·2ⁿ seconds up to a ceiling (NIST 800-63B rate limiting; no permanent lockout).
 * Counters live in the database, so every node sees the same state.
 */
export class LoginThrottle {
  readonly #db: Kysely<Database>;
  readonly #settings: ThrottleSettings;
  readonly #ipKey: Buffer;

  constructor(db: Kysely<Database>, settings: ThrottleSettings, ipKey: Buffer) {
    this.#db = db;
    this.#settings = settings;
    this.#ipKey = ipKey;
  }

  accountKey(pool: string, email: string): string {
    return `account:${pool}:${email}`;
  }

  /** IPs are kept as keyed hashes: enough to count, nothing to read back. */
  ipKey(ip: string): string {
    return `ip:${createHmac('sha256', this.#ipKey).update(ip).digest('base64url')}`;
  }

  async check(keys: string[], now = Date.now()): Promise<ThrottleDecision> {
    const rows = await this.#db.selectFrom('login_throttle').select('locked_until').where('key', 'in', keys).execute();
    const lockedUntil = Math.max(0, ...rows.map((row) => row.locked_until));
    return lockedUntil > now ? { allowed: false, retryAfterSeconds: Math.ceil((lockedUntil - now) / 1000) } : { allowed: true };
  }

  async recordFailure(accountKey: string, ipKey: string, now = Date.now()): Promise<void> {
    await this.#count(accountKey, this.#settings.accountFreeAttempts, now);
    await this.#count(ipKey, this.#settings.ipFreeAttempts, now);
  }

  async recordSuccess(accountKey: string): Promise<void> {
    await this.#db.deleteFrom('login_throttle').where('key', '=', accountKey).execute();
  }

  /** Counters whose failures were forgotten and whose lock ended are deleted. */
  async deleteStale(now = Date.now()): Promise<number> {
    const result = await this.#db
      .deleteFrom('login_throttle')
      .where('last_failure_at', '<', now - this.#settings.failureWindowSeconds * 1000)
      .where('locked_until', '<', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Atomic increment (one upsert), so concurrent failures on several nodes all count. */
  async #count(key: string, freeAttempts: number, now: number): Promise<void> {
    const windowMs = this.#settings.failureWindowSeconds * 1000;
    const { failures } = await this.#db
      .insertInto('login_throttle')
      .values({ key, failures: 1, last_failure_at: now, locked_until: 0 })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({
          failures: sql<number>`case when ${now} - login_throttle.last_failure_at > ${windowMs} then 1 else login_throttle.failures + 1 end`,
          last_failure_at: now,
        }),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    const over = failures - freeAttempts;
    if (over < 0) return;
    const { delayBaseSeconds, delayMaxSeconds } = this.#settings;
    const delaySeconds = Math.min(delayBaseSeconds * 2 ** Math.min(over, 30), delayMaxSeconds);
    await this.#db
      .updateTable('login_throttle')
      .set({ locked_until: now + delaySeconds * 1000 })
      .where('key', '=', key)
      .execute();
  }
}
