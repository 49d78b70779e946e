import { createHmac, randomInt } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { CustomerDataOwner, ForgottenCustomer, TableDeclaration } from '../customers/customer-data.ts';
import { conflict, DomainError } from '../errors/domain-error.ts';
import type { Database } from '../store/schema.ts';

/** A code is good this long; the page asks for a new one every REFRESH_MS, so one photographed is soon stale. */
export const CODE_TTL_MS = 2 * 60_000;
export const REFRESH_MS = 30_000;
/** Codes a customer may be given per minute (a page left open asks for two). */
const CODES_PER_MINUTE = 6;
/** Digits of a code: 10¹² values, of which a customer holds at most a handful at a time; tills are throttled per key and network. */
const DIGITS = 12;

export interface IssuedCode {
  /** 12 digits: the QR code's content and what a hand scanner reads. */
  code: string;
  expiresAt: number;
  refreshAt: number;
}

/**
 * Member codes: a signed-in customer shows one at a till (QR, or 12 digits). A code is random —
 * it says nothing about the customer to whoever photographs it — kept only as a keyed hash, good
 * for two minutes at stores of one brand, and used once: taking it at a till is one conditional
 * update, so two tills racing with the same code get it once.
 *
 * The page does not work offline: a code exists only once the server has issued (and recorded) it,
 * which is what lets a till's use of it be the only use. A code computed on the phone from a
 * secret (TOTP-like) would work offline, but the same code could then be shown again elsewhere
 * until the server learned of its use.
 */
export class MemberCodes implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'member_codes',
      columns: { code_hash: 'credentials', customer_id: 'credentials', brand: 'plain', issued_at: 'plain', expires_at: 'plain', used_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'omitted', reason: 'one-time codes good for two minutes, kept as keyed hashes that read as nothing; the store visits they led to are in the export' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #key: Buffer;

  constructor(db: Kysely<Database>, key: Buffer) {
    this.#db = db;
    this.#key = key;
  }

  #hash(code: string): string {
    return createHmac('sha256', this.#key).update(code).digest('base64url');
  }

  /** A new code for the customer at stores of `brand` ('' is the group); 429 when asked for too often. */
  async issue(customerId: string, brand: string, now = Date.now()): Promise<IssuedCode> {
    const recent = await this.#db.selectFrom('member_codes').select((eb) => eb.fn.countAll<number>().as('n')).where('customer_id', '=', customerId).where('issued_at', '>', now - 60_000).executeTakeFirstOrThrow();
    if (Number(recent.n) >= CODES_PER_MINUTE) throw new DomainError('too_many_codes', 429, 'A new member code is given at most every ten seconds', { retry_after: 10 });
    const code = Array.from({ length: DIGITS }, () => randomInt(10)).join('');
    await this.#db.insertInto('member_codes').values({ code_hash: this.#hash(code), customer_id: customerId, brand, issued_at: now, expires_at: now + CODE_TTL_MS, used_at: null }).execute();
    return { code, expiresAt: now + CODE_TTL_MS, refreshAt: now + REFRESH_MS };
  }

  /**
   * Takes a code at a till of a store of `brand`, in the caller's transaction: the customer's id, or
   * a refusal (404 code_unknown, 410 code_expired, 409 code_used, 403 code_other_brand).
   */
  async take(trx: Transaction<Database>, code: string, brand: string, now = Date.now()): Promise<string> {
    const hash = this.#hash(code);
    const row = await trx.selectFrom('member_codes').selectAll().where('code_hash', '=', hash).executeTakeFirst();
    if (!row) throw new DomainError('code_unknown', 404, 'No such member code');
    if (row.used_at !== null) throw conflict('code_used', 'The member code was used already: the customer shows the new one');
    if (Number(row.expires_at) <= now) throw new DomainError('code_expired', 410, 'The member code has expired: the customer shows the new one');
    if (row.brand !== brand) throw new DomainError('code_other_brand', 403, "The member code is for another brand's stores");
    const taken = await trx.updateTable('member_codes').set({ used_at: now }).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) throw conflict('code_used', 'The member code was used already');
    return row.customer_id;
  }

  /** Codes past their time are deleted (the cleanup job). */
  async deleteExpired(now = Date.now()): Promise<void> {
    await this.#db.deleteFrom('member_codes').where('expires_at', '<=', now).execute();
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('member_codes').where('customer_id', '=', customer.id).execute();
  }
}
