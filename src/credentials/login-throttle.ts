import { createHmac } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Config } from '../config/load-config.ts';
import type { Database } from '../store/schema.ts';
import { clientNetwork } from './client-address.ts';
import type { CustomerDataHolder, TableDeclaration } from '../customers/customer-data.ts';

export type ThrottleSettings = Config['throttle'];

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** A counter and how many attempts it grants before delays start. */
export interface ThrottleKey {
  key: string;
  freeAttempts: number;
}

/**
 * Sign-in attempts are counted per account (the e-mail as typed, whether or not it exists, so the
 * throttle reveals nothing) and per client network. An attempt is counted *before* the password is
 * checked, in one atomic statement that also refuses it when the key is locked, so a burst of
 * parallel guesses gets exactly the free attempts and no more. After them every attempt locks the
 * key for base·2ⁿ seconds up to a ceiling (NIST 800-63B rate limiting; no permanent lockout).
 * Success clears the account and gives the network its attempt back. Counters live in the
 * database, so every node sees the same state.
 */
export class LoginThrottle implements CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'login_throttle',
      columns: { key: 'sessions', failures: 'plain', last_failure_at: 'plain', locked_until: 'plain' },
      erasure: { rule: 'keep', reason: 'failure counters keyed by keyed hashes of account and network; they expire on their own' },
      export: { rule: 'omitted', reason: 'keyed hashes that cannot be read back to the customer; they expire on their own' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #settings: ThrottleSettings;
  readonly #ipKey: Buffer;

  constructor(db: Kysely<Database>, settings: ThrottleSettings, ipKey: Buffer) {
    this.#db = db;
    this.#settings = settings;
    this.#ipKey = ipKey;
  }

  /** The account's counter, keyed by a keyed hash of the address: no address sits in the table (nor survives an erasure there). */
  accountKey(pool: string, email: string): ThrottleKey {
    return this.keyFor('account', `${pool}:${email}`, this.#settings.accountFreeAttempts);
  }

  /** A counter for anything else (codes sent to one address, say), its value kept as a keyed hash. */
  keyFor(kind: string, value: string, freeAttempts: number): ThrottleKey {
    const hash = createHmac('sha256', this.#ipKey).update(`${kind}:${value}`).digest('base64url');
    return { key: `${kind}:${hash}`, freeAttempts };
  }

  /** Networks are kept as keyed hashes: enough to count, nothing to read back. */
  ipKey(ip: string): ThrottleKey {
    const hash = createHmac('sha256', this.#ipKey).update(clientNetwork(ip)).digest('base64url');
    return { key: `ip:${hash}`, freeAttempts: this.#settings.ipFreeAttempts };
  }

  /** Counts one attempt against each key in order; refused (and not counted further) at the first locked key. */
  /** One transaction for all keys: a single commit (one fsync on SQLite) on the sign-in path. */
  async attempt(keys: ThrottleKey[], now = Date.now()): Promise<ThrottleDecision> {
    return this.#db.transaction().execute(async (trx) => {
      for (const key of keys) {
        const counted = await this.#count(trx, key, now);
        if (!counted) return this.#refusal(trx, key.key, now);
      }
      return { allowed: true } as const;
    });
  }

  /**
   * The attempt succeeded: the account starts afresh, the network gets its attempt back. Rows are
   * locked in the order `attempt` locks them (network, then account): in the other order, two
   * sign-ins of one account at once deadlocked on PostgreSQL (found by the size benchmark).
   */
  async succeeded(account: ThrottleKey | undefined, network: ThrottleKey): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('login_throttle')
        .set({ failures: sql<number>`failures - 1` })
        .where('key', '=', network.key)
        .where('failures', '>', 0)
        .execute();
      if (account) await trx.deleteFrom('login_throttle').where('key', '=', account.key).execute();
    });
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

  /** One upsert: count (restarting after a quiet window), set the lock, unless locked now. */
  async #count(db: Kysely<Database>, { key, freeAttempts }: ThrottleKey, now: number): Promise<boolean> {
    const windowMs = this.#settings.failureWindowSeconds * 1000;
    const failures = sql<number>`(case when ${bigint(now)} - login_throttle.last_failure_at > ${bigint(windowMs)} then 1 else login_throttle.failures + 1 end)`;
    const row = await db
      .insertInto('login_throttle')
      .values({ key, failures: 1, last_failure_at: now, locked_until: 1 >= freeAttempts ? now + this.#settings.delayBaseSeconds * 1000 : 0 })
      .onConflict((conflict) =>
        conflict
          .column('key')
          .doUpdateSet({ failures, last_failure_at: now, locked_until: this.#lockUntil(failures, freeAttempts, now) })
          .where('login_throttle.locked_until', '<=', now),
      )
      .returning('failures')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** now + min(base · 2^(failures − free), max) seconds once failures reach the free attempts, else 0. */
  #lockUntil(failures: RawBuilder<number>, freeAttempts: number, now: number): RawBuilder<number> {
    const { delayBaseSeconds, delayMaxSeconds } = this.#settings;
    const over = sql`(${failures} - ${bigint(freeAttempts)})`;
    const delay = sql`(${bigint(delayBaseSeconds)} * (cast(1 as bigint) << cast(case when ${over} > 20 then 20 else ${over} end as integer)))`;
    const capped = sql`(case when ${delay} > ${bigint(delayMaxSeconds)} then ${bigint(delayMaxSeconds)} else ${delay} end)`;
    return sql<number>`(case when ${over} < 0 then 0 else ${bigint(now)} + ${capped} * 1000 end)`;
  }

  async #refusal(db: Kysely<Database>, key: string, now: number): Promise<ThrottleDecision> {
    const row = await db.selectFrom('login_throttle').select('locked_until').where('key', '=', key).executeTakeFirst();
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((row?.locked_until ?? now) - now) / 1000)) };
  }
}

/** Parameters typed for PostgreSQL, whose inference would otherwise pick int4 for epoch milliseconds. */
function bigint(value: number): RawBuilder<number> {
  return sql<number>`cast(${value} as bigint)`;
}
