import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { tokenHash } from './operator-accounts.ts';

export interface OperatorSession {
  operatorId: string;
  secondFactor: string;
  authenticatedAt: number;
  lastSeenAt: number;
}

/** A console session ends at this age whatever the activity. */
export const SESSION_MAX_AGE_MS = 12 * 3600_000;
/** Activity is written at most this often (a page view is not a write). */
const TOUCH_EVERY_MS = 60_000;

/**
 * Console sessions (owner of `operator_sessions`): a random cookie value, stored as its SHA-256.
 * A session ends after `idleMs` without a request, at 12 hours, at sign-out, or when its operator
 * is disabled. Nothing of it is shared with customers' sessions: a customer's cookie opens no
 * console page and an operator's opens no account page.
 */
export class OperatorSessions {
  readonly #db: Kysely<Database>;
  readonly #idleMs: number;

  constructor(deps: { db: Kysely<Database>; idleMs: number }) {
    this.#db = deps.db;
    this.#idleMs = deps.idleMs;
  }

  get idleMs(): number {
    return this.#idleMs;
  }

  /** A new session in the caller's transaction; answers the cookie's value. */
  async start(trx: Transaction<Database>, operatorId: string, secondFactor: string, now = Date.now()): Promise<string> {
    const value = randomBytes(32).toString('base64url');
    await trx.insertInto('operator_sessions').values({ id_hash: tokenHash(value), operator_id: operatorId, second_factor: secondFactor, created_at: now, authenticated_at: now, last_seen_at: now, expires_at: now + SESSION_MAX_AGE_MS }).execute();
    return value;
  }

  /** The live session a cookie names, its activity noted; an idle or expired one is ended. */
  async resume(value: string | undefined, now = Date.now()): Promise<OperatorSession | undefined> {
    if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) return undefined;
    const hash = tokenHash(value);
    const row = await this.#db.selectFrom('operator_sessions').selectAll().where('id_hash', '=', hash).executeTakeFirst();
    if (!row) return undefined;
    if (Number(row.expires_at) <= now || Number(row.last_seen_at) + this.#idleMs <= now) {
      await this.#db.deleteFrom('operator_sessions').where('id_hash', '=', hash).execute();
      return undefined;
    }
    if (now - Number(row.last_seen_at) >= TOUCH_EVERY_MS) await this.#db.updateTable('operator_sessions').set({ last_seen_at: now }).where('id_hash', '=', hash).execute();
    return { operatorId: row.operator_id, secondFactor: row.second_factor, authenticatedAt: Number(row.authenticated_at), lastSeenAt: now };
  }

  async end(value: string | undefined): Promise<void> {
    if (value && /^[A-Za-z0-9_-]{43}$/.test(value)) await this.#db.deleteFrom('operator_sessions').where('id_hash', '=', tokenHash(value)).execute();
  }

  /** Every session of an operator (disabled, roles changed), in the caller's transaction. */
  async endAll(trx: Transaction<Database>, operatorId: string): Promise<void> {
    await trx.deleteFrom('operator_sessions').where('operator_id', '=', operatorId).execute();
  }

  async deleteExpired(now = Date.now()): Promise<number> {
    const result = await this.#db
      .deleteFrom('operator_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - this.#idleMs)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
