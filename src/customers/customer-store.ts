import type { Kysely, Transaction } from 'kysely';
import { CredentialStore } from '../credentials/credential-store.ts';
import { CustomerNameIndex } from './customer-name-index.ts';
import type { CustomerDataOwner, ForgottenCustomer, TableDeclaration } from './customer-data.ts';
import { ALL_CUSTOMERS, CustomerCounts } from './customer-counts.ts';
import type { Database } from '../store/schema.ts';

/** The customer as the rest of Portvakt sees it: one row joined with its e-mail and password. */
export interface CustomerRecord {
  id: string;
  pool: string;
  status: 'active' | 'disabled';
  email: string;
  emailVerifiedAt: number | null;
  /** E.164, at most one per customer. */
  phone: string | null;
  phoneVerifiedAt: number | null;
  givenName: string | null;
  familyName: string | null;
  locale: string | null;
  passwordHash: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

type Executor = Kysely<Database> | Transaction<Database>;

/** Names filled in on a customer who lacks them (a claimed guest's). */
export type NameFill = { given_name?: string; family_name?: string };

export class CustomerStore implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'customers',
      columns: { id: 'identity', pool: 'plain', status: 'plain', given_name: 'identity', family_name: 'identity', locale: 'identity', version: 'plain', created_at: 'plain', updated_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'profile', reason: 'the profile (Customers.exportData), without the pool and version, which are bookkeeping' },
    },
    {
      table: 'customer_emails',
      columns: { customer_id: 'contact', pool: 'plain', email: 'contact', verified_at: 'plain', created_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'profile' },
    },
    {
      table: 'customer_phones',
      columns: { customer_id: 'contact', pool: 'plain', phone: 'contact', verified_at: 'plain', created_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'profile' },
    },
    {
      table: 'customer_name_keys',
      columns: { customer_id: 'identity', search_key: 'identity' },
      erasure: { rule: 'delete' },
      export: { rule: 'omitted', reason: 'search keys folded from the names, which the profile exports' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #credentials: CredentialStore;
  /** The search keys of the names (folded words and pairs of words), written with the names (customer search). */
  readonly names: CustomerNameIndex;

  /** The password is a row of `credentials`, written by its owner. */
  constructor(db: Kysely<Database>, credentials = new CredentialStore(db)) {
    this.#db = db;
    this.#credentials = credentials;
    this.names = new CustomerNameIndex(db);
  }

  /** The database, read by the owners of the customer's other tables for their part of an export (`Customers.exportData`). */
  get reader(): Kysely<Database> {
    return this.#db;
  }

  /** Runs `work` in one transaction: every multi-row change goes through here. */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(work);
  }

  findById(id: string, db: Executor = this.#db): Promise<CustomerRecord | undefined> {
    return this.#select(db).where('c.id', '=', id).executeTakeFirst();
  }

  findByEmail(pool: string, email: string, db: Executor = this.#db): Promise<CustomerRecord | undefined> {
    return this.#select(db).where('e.pool', '=', pool).where('e.email', '=', email).executeTakeFirst();
  }

  /** The customers with these addresses in the pool (address → customer), read in one query (an import's batch). */
  async findByEmails(pool: string, emails: readonly string[], db: Executor = this.#db): Promise<Map<string, CustomerRecord>> {
    if (emails.length === 0) return new Map();
    const rows = await this.#select(db).where('e.pool', '=', pool).where('e.email', 'in', emails).execute();
    return new Map(rows.map((row) => [row.email, row]));
  }

  /** Which of these phone numbers a customer of the pool has (number → customer id), in one query. */
  async phoneHolders(pool: string, phones: readonly string[], db: Executor = this.#db): Promise<Map<string, string>> {
    if (phones.length === 0) return new Map();
    const rows = await db.selectFrom('customer_phones').select(['phone', 'customer_id']).where('pool', '=', pool).where('phone', 'in', phones).execute();
    return new Map(rows.map((row) => [row.phone, row.customer_id]));
  }

  /** These customers, in no particular order; ids that are gone are left out. */
  findByIds(ids: readonly string[], db: Executor = this.#db): Promise<CustomerRecord[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.#select(db).where('c.id', 'in', ids).execute();
  }

  list(pool: string, limit: number, after?: string): Promise<CustomerRecord[]> {
    let query = this.#select(this.#db).where('c.pool', '=', pool).orderBy('c.id').limit(limit);
    if (after) query = query.where('c.id', '>', after);
    return query.execute();
  }

  async emailTaken(pool: string, email: string, db: Executor = this.#db): Promise<boolean> {
    const row = await db
      .selectFrom('customer_emails')
      .select('customer_id')
      .where('pool', '=', pool)
      .where('email', '=', email)
      .executeTakeFirst();
    return row !== undefined;
  }

  async insert(record: CustomerRecord, trx: Transaction<Database>): Promise<void> {
    await trx
      .insertInto('customers')
      .values({
        id: record.id,
        pool: record.pool,
        status: record.status,
        given_name: record.givenName,
        family_name: record.familyName,
        locale: record.locale,
        version: record.version,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
      })
      .execute();
    await trx
      .insertInto('customer_emails')
      .values({
        customer_id: record.id,
        pool: record.pool,
        email: record.email,
        verified_at: record.emailVerifiedAt,
        created_at: record.createdAt,
      })
      .execute();
    await this.names.sync(trx, record, record.givenName, record.familyName);
    if (record.passwordHash) await this.setPassword(record.id, record.passwordHash, record.createdAt, trx);
    await this.#writePhone(record, trx);
    await CustomerCounts.change(trx, ALL_CUSTOMERS, 1);
  }

  /** A batch of active customers with verified addresses (`portvakt seed`), in two multi-row INSERTs; callers keep each within the bound parameters. */
  static async insertSeeded(trx: Transaction<Database>, rows: ReadonlyArray<{ id: string; email: string }>, pool: string, now: number): Promise<void> {
    await trx
      .insertInto('customers')
      .values(rows.map(({ id }) => ({ id, pool, status: 'active' as const, given_name: 'Seed', family_name: 'Customer', locale: 'sv', version: 1, created_at: now, updated_at: now })))
      .execute();
    await trx
      .insertInto('customer_emails')
      .values(rows.map(({ id, email }) => ({ customer_id: id, pool, email, verified_at: now, created_at: now })))
      .execute();
    await CustomerCounts.change(trx, ALL_CUSTOMERS, rows.length);
    await CustomerNameIndex.insertSeeded(trx, rows.map(({ id }) => ({ id, pool, givenName: 'Seed', familyName: 'Customer' })));
  }

  /** A batch of imported customers (`portvakt import`) in multi-row INSERTs; callers keep each within the bound parameters and write the passwords. */
  static async insertImported(trx: Transaction<Database>, records: readonly CustomerRecord[]): Promise<void> {
    if (records.length === 0) return;
    await trx
      .insertInto('customers')
      .values(records.map((r) => ({ id: r.id, pool: r.pool, status: r.status, given_name: r.givenName, family_name: r.familyName, locale: r.locale, version: r.version, created_at: r.createdAt, updated_at: r.updatedAt })))
      .execute();
    await trx
      .insertInto('customer_emails')
      .values(records.map((r) => ({ customer_id: r.id, pool: r.pool, email: r.email, verified_at: r.emailVerifiedAt, created_at: r.createdAt })))
      .execute();
    const phones = records.filter((r) => r.phone !== null);
    if (phones.length > 0) await trx.insertInto('customer_phones').values(phones.map((r) => ({ customer_id: r.id, pool: r.pool, phone: r.phone!, verified_at: r.phoneVerifiedAt, created_at: r.createdAt }))).execute();
    await CustomerCounts.change(trx, ALL_CUSTOMERS, records.length);
    await CustomerNameIndex.insertSeeded(trx, records);
  }

  async phoneTaken(pool: string, phone: string, exceptCustomer: string | null, db: Executor = this.#db): Promise<boolean> {
    let query = db.selectFrom('customer_phones').select('customer_id').where('pool', '=', pool).where('phone', '=', phone);
    if (exceptCustomer) query = query.where('customer_id', '!=', exceptCustomer);
    return (await query.executeTakeFirst()) !== undefined;
  }

  /** The customer with this phone number, proven or not (customer service finding a caller). */
  findByPhone(pool: string, phone: string): Promise<CustomerRecord | undefined> {
    return this.#select(this.#db).where('ph.pool', '=', pool).where('ph.phone', '=', phone).executeTakeFirst();
  }

  /** The customer with this phone number, only when they proved it (sign-in by SMS goes nowhere else). */
  findByVerifiedPhone(pool: string, phone: string): Promise<CustomerRecord | undefined> {
    return this.#select(this.#db).where('ph.pool', '=', pool).where('ph.phone', '=', phone).where('ph.verified_at', 'is not', null).executeTakeFirst();
  }

  async #writePhone(record: CustomerRecord, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('customer_phones').where('customer_id', '=', record.id).execute();
    if (record.phone === null) return;
    await trx
      .insertInto('customer_phones')
      .values({ customer_id: record.id, pool: record.pool, phone: record.phone, verified_at: record.phoneVerifiedAt, created_at: record.updatedAt })
      .execute();
  }

  /**
   * Writes the profile columns and the e-mail row over the version `record` was read at. False when
   * another request changed the customer in between (on PostgreSQL the UPDATE waits for that
   * request's row lock, then finds the version moved on).
   */
  async update(record: CustomerRecord, trx: Transaction<Database>): Promise<boolean> {
    const result = await trx
      .updateTable('customers')
      .set({
        status: record.status,
        given_name: record.givenName,
        family_name: record.familyName,
        locale: record.locale,
        version: record.version + 1,
        updated_at: record.updatedAt,
      })
      .where('id', '=', record.id)
      .where('version', '=', record.version)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await this.names.sync(trx, record, record.givenName, record.familyName);
    await trx
      .updateTable('customer_emails')
      .set({ email: record.email, verified_at: record.emailVerifiedAt })
      .where('customer_id', '=', record.id)
      .execute();
    await this.#writePhone(record, trx);
    return true;
  }

  /**
   * Moves the version on without changing the profile: on PostgreSQL the row is locked until the
   * caller's transaction ends, so checks made after it in that transaction are taken one at a time.
   */
  async bumpVersion(customerId: string, now: number, trx: Transaction<Database>): Promise<void> {
    await trx.updateTable('customers').set((eb) => ({ version: eb('version', '+', 1), updated_at: now })).where('id', '=', customerId).execute();
  }

  /** Fills names, only over the version read: false when the customer changed meanwhile (nothing is written then). */
  async fillNames(customerId: string, names: NameFill, readVersion: number, now: number, trx: Transaction<Database>): Promise<boolean> {
    const written = await trx.updateTable('customers').set((eb) => ({ ...names, version: eb('version', '+', 1), updated_at: now })).where('id', '=', customerId).where('version', '=', readVersion).executeTakeFirst();
    if (Number(written.numUpdatedRows) !== 1) return false;
    const filled = await trx.selectFrom('customers').select(['id', 'pool', 'given_name', 'family_name']).where('id', '=', customerId).executeTakeFirstOrThrow();
    await this.names.sync(trx, filled, filled.given_name, filled.family_name);
    return true;
  }

  setPassword(customerId: string, passwordHash: string, now: number, trx: Transaction<Database>): Promise<void> {
    return this.#credentials.setPassword(customerId, passwordHash, now, trx);
  }

  replacePasswordIf(customerId: string, previous: string, passwordHash: string, now: number, trx: Transaction<Database>): Promise<boolean> {
    return this.#credentials.replacePasswordIf(customerId, previous, passwordHash, now, trx);
  }

  /** True when the address was unverified and now is verified. */
  async markEmailVerified(customerId: string, email: string, now: number, db: Executor = this.#db): Promise<boolean> {
    const result = await db
      .updateTable('customer_emails')
      .set({ verified_at: now })
      .where('customer_id', '=', customerId)
      .where('email', '=', email)
      .where('verified_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The customer row, and with it (foreign keys) the address and phone rows. */
  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await this.delete(customer.id, trx);
  }

  async delete(id: string, trx: Transaction<Database>): Promise<boolean> {
    await this.names.forget(id, trx);
    const result = await trx.deleteFrom('customers').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) !== 1) return false;
    await CustomerCounts.change(trx, ALL_CUSTOMERS, -1);
    return true;
  }

  #select(db: Executor) {
    return db
      .selectFrom('customers as c')
      .innerJoin('customer_emails as e', 'e.customer_id', 'c.id')
      .leftJoin('credentials as p', (join) => join.onRef('p.customer_id', '=', 'c.id').on('p.type', '=', 'password'))
      .leftJoin('customer_phones as ph', 'ph.customer_id', 'c.id')
      .select([
        'ph.phone',
        'ph.verified_at as phoneVerifiedAt',
        'c.id',
        'c.pool',
        'c.status',
        'e.email',
        'e.verified_at as emailVerifiedAt',
        'c.given_name as givenName',
        'c.family_name as familyName',
        'c.locale',
        'p.secret as passwordHash',
        'c.version',
        'c.created_at as createdAt',
        'c.updated_at as updatedAt',
      ]);
  }
}
