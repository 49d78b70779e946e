import type { Kysely, Transaction } from 'kysely';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import type { Database } from '../store/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** A row of a bulk load (`portvakt seed`): one password credential per customer. */
export interface SeededPassword {
  customerId: string;
  passwordHash: string;
  now: number;
}

/**
 * Every write to `credentials`: the password row, passkeys, the TOTP secret and recovery codes.
 * The services that check them (Customers, Passkeys, SecondFactors) read where they need to and
 * write through here, in their own transaction when the write belongs to one.
 */
export class CredentialStore implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'credentials',
      columns: { id: 'plain', customer_id: 'credentials', type: 'plain', secret: 'credentials', label: 'credentials', lookup_key: 'credentials', counter: 'plain', last_used_at: 'plain', created_at: 'plain', updated_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'credentials', reason: 'each credential by its type, label and dates; never its secret (password hash, TOTP secret, passkey key) nor a recovery code\'s lookup key' },
    },
  ];
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The customer's one password row, replaced. */
  async setPassword(customerId: string, passwordHash: string, now: number, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('credentials').where('customer_id', '=', customerId).where('type', '=', 'password').execute();
    await trx
      .insertInto('credentials')
      .values({ id: crypto.randomUUID(), customer_id: customerId, type: 'password', secret: passwordHash, created_at: now, updated_at: now })
      .execute();
  }

  /** Replaces the password row only while it still holds `previous` (a sign-in re-hashing an imported hash); false when it changed meanwhile. */
  async replacePasswordIf(customerId: string, previous: string, passwordHash: string, now: number, trx: Transaction<Database>): Promise<boolean> {
    const result = await trx.updateTable('credentials').set({ secret: passwordHash, updated_at: now }).where('customer_id', '=', customerId).where('type', '=', 'password').where('secret', '=', previous).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Password rows for a batch of new customers in one multi-row INSERT (callers keep each INSERT within the bound parameters). */
  static async insertPasswords(trx: Transaction<Database>, rows: readonly SeededPassword[]): Promise<void> {
    await trx
      .insertInto('credentials')
      .values(rows.map((row) => ({ id: crypto.randomUUID(), customer_id: row.customerId, type: 'password' as const, secret: row.passwordHash, label: null, lookup_key: null, counter: null, last_used_at: null, created_at: row.now, updated_at: row.now })))
      .execute();
  }

  async addPasskey(trx: Transaction<Database>, passkey: { id: string; customerId: string; secret: string; label: string; lookupKey: string; counter: number; now: number }): Promise<void> {
    await trx
      .insertInto('credentials')
      .values({ id: passkey.id, customer_id: passkey.customerId, type: 'passkey', secret: passkey.secret, label: passkey.label, lookup_key: passkey.lookupKey, counter: passkey.counter, created_at: passkey.now, updated_at: passkey.now })
      .execute();
  }

  /** A passkey was used: its signature counter and last use. */
  async passkeyUsed(id: string, counter: number, now: number, db: Executor = this.#db): Promise<void> {
    await db.updateTable('credentials').set({ counter, last_used_at: now, updated_at: now }).where('id', '=', id).execute();
  }

  /** True when the customer had this passkey and it is gone. */
  async removePasskey(trx: Transaction<Database>, customerId: string, passkeyId: string): Promise<boolean> {
    const result = await trx.deleteFrom('credentials').where('id', '=', passkeyId).where('customer_id', '=', customerId).where('type', '=', 'passkey').executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** TOTP and recovery codes replaced together: the old ones go, the new secret and codes come. */
  async replaceSecondFactors(trx: Transaction<Database>, customerId: string, totp: { id: string; secret: string; step: number }, recoveryKeys: readonly string[], now: number): Promise<void> {
    await this.removeSecondFactors(trx, customerId);
    await trx
      .insertInto('credentials')
      .values({ id: totp.id, customer_id: customerId, type: 'totp', secret: totp.secret, label: 'authenticator', counter: totp.step, created_at: now, updated_at: now })
      .execute();
    await this.#insertRecoveryCodes(trx, customerId, recoveryKeys, now);
  }

  async replaceRecoveryCodes(trx: Transaction<Database>, customerId: string, recoveryKeys: readonly string[], now: number): Promise<void> {
    await trx.deleteFrom('credentials').where('customer_id', '=', customerId).where('type', '=', 'recovery_code').execute();
    await this.#insertRecoveryCodes(trx, customerId, recoveryKeys, now);
  }

  async removeSecondFactors(trx: Transaction<Database>, customerId: string): Promise<void> {
    await trx.deleteFrom('credentials').where('customer_id', '=', customerId).where('type', 'in', ['totp', 'recovery_code']).execute();
  }

  /** Moves the TOTP row's last accepted step forward; false when another request got there first (a replay). */
  async advanceTotp(id: string, step: number, now: number): Promise<boolean> {
    const moved = await this.#db
      .updateTable('credentials')
      .set({ counter: step, last_used_at: now, updated_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('counter', 'is', null), eb('counter', '<', step)]))
      .executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1;
  }

  /** Uses up a recovery code with one DELETE … RETURNING: of two concurrent uses only one finds it. */
  async useRecoveryCode(customerId: string, lookupKey: string): Promise<boolean> {
    const used = await this.#db.deleteFrom('credentials').where('customer_id', '=', customerId).where('type', '=', 'recovery_code').where('lookup_key', '=', lookupKey).returning('id').executeTakeFirst();
    return used !== undefined;
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('credentials').select(['type', 'label', 'created_at', 'last_used_at']).where('customer_id', '=', customer.id).orderBy('created_at').orderBy('id').execute();
    return { credentials: rows.map((row) => ({ type: row.type, label: row.label, created_at: isoTime(row.created_at), last_used_at: isoTime(row.last_used_at) })) };
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('credentials').where('customer_id', '=', customer.id).execute();
  }

  async #insertRecoveryCodes(trx: Transaction<Database>, customerId: string, recoveryKeys: readonly string[], now: number): Promise<void> {
    await trx
      .insertInto('credentials')
      .values(recoveryKeys.map((lookupKey) => ({ id: crypto.randomUUID(), customer_id: customerId, type: 'recovery_code' as const, secret: '', lookup_key: lookupKey, created_at: now, updated_at: now })))
      .execute();
  }
}

/** `secret rotate` (ops/secret-rotation.ts): a customer's TOTP secret sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealTotpSecret(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('credentials').set({ secret: sealed }).where('id', '=', id).where('secret', '=', was).where('type', '=', 'totp').executeTakeFirst();
  return result.numUpdatedRows;
}
