import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction, UpdateQueryBuilder, UpdateResult } from 'kysely';
import type { CustomerDataOwner, ForgottenCustomer, TableDeclaration } from '../customers/customer-data.ts';
import type { Database, OneTimeCodesTable } from '../store/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;
type CodeUpdate = UpdateQueryBuilder<Database, 'one_time_codes', 'one_time_codes', UpdateResult>;

export type CodePurpose = 'email_sign_in' | 'verify_email' | 'password_reset' | 'phone_sign_in' | 'verify_phone' | 'change_email' | 'passkey_challenge' | 'caller_verification';

export interface IssuedCode {
  id: string;
  /** Six digits, for the customer to type. */
  code: string;
  /** 256 random bits, for the link in the message. */
  linkToken: string;
  expiresAt: number;
}

export type CodeCheck =
  | { ok: true; row: OneTimeCodesTable }
  /** Wrong code; `left` entries remain before it dies. */
  | { ok: false; reason: 'wrong_code'; left: number }
  /** Killed by too many wrong entries: further tries are refused until a new code is sent. */
  | { ok: false; reason: 'exhausted' }
  /** No live code here: never sent, expired or used. */
  | { ok: false; reason: 'no_code' };

export const CODE_PATTERN = /^\d{6}$/;

/**
 * One-time codes and links (e-mail verification, passwordless sign-in, recovery, SMS). Stored as
 * keyed hashes (HMAC under PORTVAKT_SECRET: a leaked table does not give the codes, which a plain
 * hash of six digits would), single use, expiring, and bound to the flow they were sent for.
 * Every entry is counted atomically before the comparison; after `maxAttempts` the code is dead.
 */
export class OneTimeCodes implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'one_time_codes',
      columns: { id: 'plain', purpose: 'plain', flow_id: 'plain', customer_id: 'credentials', target: 'contact', code_hash: 'credentials', link_hash: 'credentials', payload: 'identity', attempts: 'plain', created_at: 'plain', expires_at: 'plain', consumed_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'omitted', reason: 'codes on their way, stored as hashes, dead within fifteen minutes' },
    },
  ];
  /** An operator's deletion leaves codes sent to the address before an account existed; the customer row's foreign key takes the customer's own. */
  readonly erasureOnly = true;
  readonly #db: Kysely<Database>;
  readonly #key: Buffer;
  readonly #maxAttempts: number;
  readonly #ttlMs: number;

  constructor(db: Kysely<Database>, key: Buffer, settings: { maxAttempts: number; ttlMs: number }) {
    this.#db = db;
    this.#key = key;
    this.#maxAttempts = settings.maxAttempts;
    this.#ttlMs = settings.ttlMs;
  }

  get ttlMinutes(): number {
    return Math.round(this.#ttlMs / 60_000);
  }

  /** Issues a new code for (flow, purpose); any earlier live code of the same pair dies. */
  async issue(
    trx: Executor,
    input: { purpose: CodePurpose; flowId: string | null; customerId: string | null; target: string; payload?: unknown },
    now = Date.now(),
  ): Promise<IssuedCode> {
    if (input.flowId !== null) {
      await trx
        .updateTable('one_time_codes')
        .set({ consumed_at: now })
        .where('flow_id', '=', input.flowId)
        .where('purpose', '=', input.purpose)
        .where('consumed_at', 'is', null)
        .execute();
    }
    const id = crypto.randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const linkToken = randomBytes(32).toString('base64url');
    const expiresAt = now + this.#ttlMs;
    await trx
      .insertInto('one_time_codes')
      .values({
        id,
        purpose: input.purpose,
        flow_id: input.flowId,
        customer_id: input.customerId,
        target: input.target,
        code_hash: this.#codeHash(id, code),
        link_hash: linkHash(linkToken),
        payload: input.payload === undefined ? null : JSON.stringify(input.payload),
        attempts: 0,
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    return { id, code, linkToken, expiresAt };
  }

  /**
   * A WebAuthn challenge: 256 random bits, single use, bound to the flow like a link token (the
   * challenge is the token). Redeemed with `redeemLink('passkey_challenge', flowId, challenge)`.
   */
  async issueChallenge(flowId: string, customerId: string | null, now = Date.now()): Promise<string> {
    const issued = await this.issue(this.#db, { purpose: 'passkey_challenge', flowId, customerId, target: 'passkey' }, now);
    return issued.linkToken;
  }

  /** The live code of a flow, if any: what the code-entry page is about (its target, not its secret). */
  live(flowId: string, purpose: CodePurpose, now = Date.now()): Promise<OneTimeCodesTable | undefined> {
    return this.#liveQuery(this.#db, now).selectAll().where('flow_id', '=', flowId).where('purpose', '=', purpose).executeTakeFirst();
  }

  /** Counts the entry, then compares in constant time; a match consumes the code (once). */
  async check(flowId: string, purpose: CodePurpose, code: string, now = Date.now()): Promise<CodeCheck> {
    const counted = await this.#db
      .updateTable('one_time_codes')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('flow_id', '=', flowId)
      .where('purpose', '=', purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .where('attempts', '<', this.#maxAttempts)
      .returningAll()
      .executeTakeFirst();
    if (!counted) return (await this.#exhausted(flowId, purpose, now)) ? { ok: false, reason: 'exhausted' } : { ok: false, reason: 'no_code' };
    const matches = CODE_PATTERN.test(code) && safeEqual(this.#codeHash(counted.id, code), counted.code_hash);
    if (!matches) {
      const left = this.#maxAttempts - counted.attempts;
      return left <= 0 ? { ok: false, reason: 'exhausted' } : { ok: false, reason: 'wrong_code', left };
    }
    const consumed = await this.#consume((query) => query.where('id', '=', counted.id), now);
    return consumed ? { ok: true, row: consumed } : { ok: false, reason: 'no_code' };
  }

  /**
   * Redeems a link token: the code row it belongs to is consumed atomically, once. A link sent
   * for a flow works only in that flow (`flowId`), so it cannot finish someone else's sign-in;
   * `undefined` accepts any flow (a verification link opened on another device).
   */
  async redeemLink(purpose: CodePurpose, flowId: string | undefined, token: string, now = Date.now()): Promise<OneTimeCodesTable | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    return this.#consume(
      (query) =>
        query
          .where('link_hash', '=', linkHash(token))
          .where('purpose', '=', purpose)
          .$if(flowId !== undefined, (q) => q.where('flow_id', '=', flowId!))
          .where('expires_at', '>', now)
          .where('attempts', '<', this.#maxAttempts),
      now,
    );
  }

  async deleteExpired(now = Date.now()): Promise<void> {
    await this.#db.deleteFrom('one_time_codes').where('expires_at', '<', now).execute();
  }

  #consume(filter: (query: CodeUpdate) => CodeUpdate, now: number): Promise<OneTimeCodesTable | undefined> {
    return filter(this.#db.updateTable('one_time_codes'))
      .set({ consumed_at: now })
      .where('consumed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }

  async #exhausted(flowId: string, purpose: CodePurpose, now: number): Promise<boolean> {
    const row = await this.#db
      .selectFrom('one_time_codes')
      .select('id')
      .where('flow_id', '=', flowId)
      .where('purpose', '=', purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .where('attempts', '>=', this.#maxAttempts)
      .executeTakeFirst();
    return row !== undefined;
  }

  #liveQuery(db: Executor, now: number) {
    return db
      .selectFrom('one_time_codes')
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .where('attempts', '<', this.#maxAttempts);
  }

  #codeHash(id: string, code: string): string {
    return createHmac('sha256', this.#key).update(`${id}:${code}`).digest('base64url');
  }

  /** Codes of the customer, and any still on its way to their address (a code may go out before an account exists). */
  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('one_time_codes').where((eb) => eb.or([eb('target', '=', customer.email), eb('customer_id', '=', customer.id)])).execute();
  }
}

function linkHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
