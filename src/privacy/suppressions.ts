import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { conflict } from '../errors/domain-error.ts';
import type { Actor, AuditLog } from '../events/audit-log.ts';
import type { Database } from '../store/schema.ts';
import type { CustomerDataHolder, TableDeclaration } from '../customers/customer-data.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Addresses of erased customers, as keyed hashes (HMAC-SHA256 under a key derived from
 * PORTVAKT_SECRET: the list holds no address, and cannot be tested against one without the
 * secret). A system importing customers (a downstream e-mail list, a CRM sync) cannot bring an
 * erased customer back: the import is refused. The person may come back on their own: signing up
 * themselves lifts the entry, and they start afresh, with no consents.
 */
export class Suppressions implements CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'suppressions',
      columns: { pool: 'plain', email_hash: 'contact', request_id: 'plain', created_at: 'plain' },
      erasure: { rule: 'keep', reason: 'a keyed hash of the erased address, so the erased customer is not recreated from old lists (Art. 17, 21)' },
      export: { rule: 'omitted', reason: 'written by the erasure, when no customer is left to export' },
    },
  ];
  readonly #key: Buffer;
  readonly #audit: AuditLog;

  constructor(key: Buffer, audit: AuditLog) {
    this.#key = key;
    this.#audit = audit;
  }

  hash(email: string): string {
    return createHmac('sha256', this.#key).update(email.trim().toLowerCase()).digest('base64url');
  }

  async add(trx: Transaction<Database>, pool: string, email: string, requestId: string, now = Date.now()): Promise<void> {
    const emailHash = this.hash(email);
    const existing = await trx.selectFrom('suppressions').select('email_hash').where('pool', '=', pool).where('email_hash', '=', emailHash).executeTakeFirst();
    if (existing) await trx.updateTable('suppressions').set({ request_id: requestId, created_at: now }).where('pool', '=', pool).where('email_hash', '=', emailHash).execute();
    else await trx.insertInto('suppressions').values({ pool, email_hash: emailHash, request_id: requestId, created_at: now }).execute();
  }

  async has(pool: string, email: string, db: Executor): Promise<boolean> {
    return (await db.selectFrom('suppressions').select('email_hash').where('pool', '=', pool).where('email_hash', '=', this.hash(email)).executeTakeFirst()) !== undefined;
  }

  /** Which of these addresses are suppressed in the pool, in one query (an import's batch). */
  async suppressedAmong(pool: string, emails: readonly string[], db: Executor): Promise<Set<string>> {
    if (emails.length === 0) return new Set();
    const byHash = new Map(emails.map((email) => [this.hash(email), email]));
    const rows = await db.selectFrom('suppressions').select('email_hash').where('pool', '=', pool).where('email_hash', 'in', [...byHash.keys()]).execute();
    return new Set(rows.map((row) => byHash.get(row.email_hash)!));
  }

  /**
   * Called where a customer is created: a customer signing up lifts the entry (audited); anyone
   * else creating the address is refused with 409 `erased_customer`.
   */
  async guardCreation(trx: Transaction<Database>, pool: string, email: string, actor: Actor): Promise<void> {
    if (!(await this.has(pool, email, trx))) return;
    if (actor.type !== 'customer') throw conflict('erased_customer', 'This address belongs to a customer who was erased at their request; only they can sign up again');
    await trx.deleteFrom('suppressions').where('pool', '=', pool).where('email_hash', '=', this.hash(email)).execute();
    await this.#audit.append(trx, { action: 'suppression.lifted', actor, details: { reason: 'signed_up_again' } });
  }
}
