import { hashPassword } from '../credentials/password-hasher.ts';
import { assertAcceptablePassword } from '../credentials/password-policy.ts';
import type { Transaction } from 'kysely';
import { concurrentUpdate, conflict, notFound } from '../errors/domain-error.ts';
import type { Database } from '../store/schema.ts';
import { customerActor, SYSTEM, type Actor, type AuditLog } from '../events/audit-log.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import type { CustomerDataHolder, CustomerDataOwner, TableDeclaration } from './customer-data.ts';
import type { CustomerRecord, CustomerStore } from './customer-store.ts';
import type { CustomerCreate, CustomerOutput, CustomerPatch } from './customer.schemas.ts';

export const DEFAULT_POOL = 'default';

export type CreationGuard = (trx: Transaction<Database>, pool: string, email: string, actor: Actor) => Promise<void>;

/**
 * Ends every session, grant and token of a customer, inside the caller's transaction (a disabled
 * account, a new password). Erasure and deletion end them through the artifacts' owner, registered with `forgetWith`.
 */
export type AccountRevoker = (customerId: string, trx: Transaction<Database>) => Promise<void>;

/** Sends a verification code and link to a changed, unverified address, inside the change's transaction. */
export type VerificationSender = (trx: Transaction<Database>, customer: CustomerRecord) => Promise<void>;

const emailTaken = () => conflict('email_taken', 'An account with this e-mail address already exists');
const phoneTaken = () => conflict('phone_taken', 'Another account has this phone number');

export class Customers {
  readonly #repo: CustomerStore;
  readonly #passwordMinLength: number;
  readonly #revokeAccount: AccountRevoker;
  #creationGuard: CreationGuard | undefined;
  readonly #audit: AuditLog;
  #sendVerification: VerificationSender | undefined;
  #events: EventPublisher | undefined;
  readonly #owners: CustomerDataOwner[] = [];
  readonly #holders: CustomerDataHolder[] = [];

  constructor(repo: CustomerStore, passwordMinLength: number, revokeAccount: AccountRevoker, audit: AuditLog) {
    this.#repo = repo;
    this.#passwordMinLength = passwordMinLength;
    this.#revokeAccount = revokeAccount;
    this.#audit = audit;
  }

  /** Customer events go out as webhooks, written in the change's transaction. */
  publishTo(publisher: EventPublisher): void {
    this.#events = publisher;
  }

  /** Wired after construction: erased customers' addresses (privacy/suppressions.ts) are checked at every creation and change of address. */
  guardCreation(guard: CreationGuard): void {
    this.#creationGuard = guard;
  }

  /**
   * Wired after construction (most owners are built after this service): the owners of tables
   * holding a customer's data, asked in this order to forget a customer that is erased or deleted,
   * before the customer row (this service's own store) goes last.
   */
  forgetWith(...owners: CustomerDataOwner[]): void {
    this.#owners.push(...owners);
  }

  /** Every owner erasure asks, the customer store last. */
  dataOwners(): readonly CustomerDataOwner[] {
    return [...this.#owners, this.#repo];
  }

  /** Wired with the owners: the holders of tables erasure keeps (audit, consent proof, …), declared but never asked to forget. */
  declaredBy(...holders: CustomerDataHolder[]): void {
    this.#holders.push(...holders);
  }

  /** Every table holding customer data, as its owner or holder declares it. */
  dataDeclarations(): readonly TableDeclaration[] {
    return [...this.dataOwners(), ...this.#holders].flatMap((holder) => holder.declarations);
  }

  /**
   * The customer and their data as every holder answers for its own tables (section name → rows),
   * for Portvakt's part of an export; the profile is the record itself. The holders read side by
   * side, not in one transaction: a change made meanwhile may show in one section and not another.
   */
  async exportData(id: string): Promise<{ customer: CustomerRecord; sections: Record<string, unknown[]> }> {
    const customer = await this.get(id);
    const whom = { id: customer.id, pool: customer.pool, email: customer.email };
    const holders = [...this.dataOwners(), ...this.#holders];
    const parts = await Promise.all(holders.map((holder) => holder.exportOf?.(whom, this.#repo.reader) ?? Promise.resolve<Record<string, unknown[]>>({})));
    const sections: Record<string, unknown[]> = {};
    for (const part of parts) {
      for (const [section, rows] of Object.entries(part)) {
        if (section in sections) throw new Error(`Two holders answer the export section ${section}`);
        sections[section] = rows;
      }
    }
    return { customer, sections };
  }

  /** Wired after construction: e-mail verification itself needs this service. */
  onEmailToVerify(sender: VerificationSender): void {
    this.#sendVerification = sender;
  }

  async create(input: CustomerCreate, actor: Actor, pool = DEFAULT_POOL, now = Date.now()): Promise<CustomerRecord> {
    // Cheap refusal before the costly hash; the transaction and the unique key decide for real.
    if (await this.#repo.emailTaken(pool, input.email)) throw emailTaken();
    const passwordHash = input.password === undefined ? null : await this.#hashAcceptable(input.password);
    return this.insertNew(input, passwordHash, actor, pool, now);
  }

  /** Checks a password against the policy and hashes it (sign-up holds the hash until the address is proven). */
  hashNewPassword(password: string): Promise<string> {
    return this.#hashAcceptable(password);
  }

  /** Creates a customer whose password (if any) was already checked and hashed. */
  /** `alongside` runs in the same transaction once the customer row exists (an upstream identity, say). */
  async insertNew(input: Omit<CustomerCreate, 'password'>, passwordHash: string | null, actor: Actor, pool = DEFAULT_POOL, now = Date.now(), alongside?: (trx: Transaction<Database>, record: CustomerRecord) => Promise<void>): Promise<CustomerRecord> {
    const record = newCustomerRecord(input, passwordHash, pool, now);
    await this.#uniqueEmail(() =>
      this.#repo.transaction(async (trx) => {
        if (await this.#repo.emailTaken(pool, record.email, trx)) throw emailTaken();
        await this.#creationGuard?.(trx, pool, record.email, actor);
        if (record.phone && (await this.#repo.phoneTaken(pool, record.phone, null, trx))) throw phoneTaken();
        await this.#repo.insert(record, trx);
        await alongside?.(trx, record);
        await this.#events?.publish(trx, { type: 'customer.created', customerId: record.id, data: { email_verified: record.emailVerifiedAt !== null } }, now);
        await this.#audit.append(trx, { action: 'customer.created', actor, subject: subjectOf(record.id), details: { password: passwordHash !== null, email_verified: record.emailVerifiedAt !== null } }, now);
      }),
    );
    return record;
  }

  async get(id: string): Promise<CustomerRecord> {
    const record = await this.#repo.findById(id);
    if (!record) throw notFound('customer');
    return record;
  }

  findById(id: string): Promise<CustomerRecord | undefined> {
    return this.#repo.findById(id);
  }

  list(limit: number, after?: string, pool = DEFAULT_POOL): Promise<CustomerRecord[]> {
    return this.#repo.list(pool, limit, after);
  }

  findByEmail(email: string, pool = DEFAULT_POOL): Promise<CustomerRecord | undefined> {
    return this.#repo.findByEmail(pool, email);
  }

  findByPhone(phone: string, pool = DEFAULT_POOL): Promise<CustomerRecord | undefined> {
    return this.#repo.findByPhone(pool, phone);
  }

  findByVerifiedPhone(phone: string, pool = DEFAULT_POOL): Promise<CustomerRecord | undefined> {
    return this.#repo.findByVerifiedPhone(pool, phone);
  }

  /**
   * A changed e-mail address is unverified again unless the caller vouches for it. Disabling a
   * customer ends their sessions and tokens in the same transaction.
   */
  async update(id: string, patch: CustomerPatch, actor: Actor, now = Date.now(), alsoWithin?: (trx: Transaction<Database>) => Promise<void>): Promise<CustomerRecord> {
    const passwordHash = patch.password === undefined ? undefined : await this.#hashAcceptable(patch.password);
    return this.#uniqueEmail(() =>
      this.#repo.transaction(async (trx) => {
        const current = await this.#repo.findById(id, trx);
        if (!current) throw notFound('customer');
        const emailChanged = patch.email !== undefined && patch.email !== current.email;
        if (emailChanged && (await this.#repo.emailTaken(current.pool, patch.email!, trx))) throw emailTaken();
        if (emailChanged) await this.#creationGuard?.(trx, current.pool, patch.email!, actor);
        const verifiedAt = patch.email_verified ?? (emailChanged ? false : current.emailVerifiedAt !== null);
        const phone = patch.phone_number === undefined ? current.phone : patch.phone_number;
        const phoneChanged = phone !== current.phone;
        if (phone && phoneChanged && (await this.#repo.phoneTaken(current.pool, phone, id, trx))) throw phoneTaken();
        const phoneVerified = phone !== null && (patch.phone_number_verified ?? (phoneChanged ? false : current.phoneVerifiedAt !== null));
        const next: CustomerRecord = {
          ...current,
          email: patch.email ?? current.email,
          emailVerifiedAt: verifiedAt ? (emailChanged || current.emailVerifiedAt === null ? now : current.emailVerifiedAt) : null,
          phone,
          phoneVerifiedAt: phoneVerified ? (phoneChanged || current.phoneVerifiedAt === null ? now : current.phoneVerifiedAt) : null,
          givenName: patch.given_name === undefined ? current.givenName : patch.given_name,
          familyName: patch.family_name === undefined ? current.familyName : patch.family_name,
          locale: patch.locale === undefined ? current.locale : patch.locale,
          status: patch.status ?? current.status,
          passwordHash: passwordHash ?? current.passwordHash,
          updatedAt: now,
        };
        if (!(await this.#repo.update(next, trx))) throw concurrentUpdate('customer');
        if (passwordHash) await this.#repo.setPassword(id, passwordHash, now, trx);
        // A new password (set by an operator) or a disabled account ends every session and token.
        if (passwordHash || (next.status === 'disabled' && current.status !== 'disabled')) await this.#revokeAccount(id, trx);
        if (emailChanged && next.emailVerifiedAt === null && next.status === 'active') await this.#sendVerification?.(trx, next);
        // Which fields changed, never their values: the log is evidence, not a copy of the profile.
        const fields = Object.keys(patch).filter((key) => key !== 'password').sort();
        await this.#events?.publish(trx, { type: 'customer.updated', customerId: id, data: { fields, status: next.status } }, now);
        await this.#audit.append(trx, { action: 'customer.updated', actor, subject: subjectOf(id), details: { fields, password_changed: passwordHash !== undefined, status: next.status } }, now);
        // What else changes with it, all or nothing (the profile page's attributes).
        await alsoWithin?.(trx);
        return { ...next, version: next.version + 1 };
      }),
    );
  }

  /** The customer proved they hold `email` (a code or link sent there): it is verified from now on. */
  async markEmailVerified(id: string, email: string, now = Date.now()): Promise<void> {
    await this.#repo.transaction(async (trx) => {
      if (await this.#repo.markEmailVerified(id, email, now, trx)) {
        await this.#audit.append(trx, { action: 'customer.email_verified', actor: customerActor(id), subject: subjectOf(id) }, now);
      }
    });
  }

  /**
   * The customer proved this number with a texted code: it becomes their verified phone. A number
   * another account holds is refused (phone_taken), in the transaction, by the unique key too.
   */
  async setVerifiedPhone(id: string, phone: string | null, now = Date.now()): Promise<void> {
    try {
      await this.#repo.transaction(async (trx) => {
        const current = await this.#repo.findById(id, trx);
        if (!current) throw notFound('customer');
        if (phone === current.phone && (phone === null || current.phoneVerifiedAt !== null)) return;
        if (phone && (await this.#repo.phoneTaken(current.pool, phone, id, trx))) throw phoneTaken();
        const next = { ...current, phone, phoneVerifiedAt: phone ? now : null, updatedAt: now };
        if (!(await this.#repo.update(next, trx))) throw concurrentUpdate('customer');
        await this.#audit.append(trx, { action: phone ? 'customer.phone_verified' : 'customer.phone_removed', actor: customerActor(id), subject: subjectOf(id) }, now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw phoneTaken();
      throw error;
    }
  }

  /**
   * An operator signs the customer out everywhere: every session, grant and refresh token ends in
   * one transaction (the clients of the sessions are told by back-channel logout).
   */
  async endSessions(id: string, actor: Actor, now = Date.now()): Promise<void> {
    await this.#repo.transaction(async (trx) => {
      if (!(await this.#repo.findById(id, trx))) throw notFound('customer');
      await this.#revokeAccount(id, trx);
      await this.#audit.append(trx, { action: 'customer.sessions_ended', actor, subject: subjectOf(id) }, now);
    });
  }

  /**
   * The customer moves their account to an address they proved with a code (the account page):
   * verified at once; taken or erased addresses are refused as at sign-up; and, as for recovery,
   * every session, grant and token ends in the same transaction (whoever held the old address is out).
   */
  async changeProvenEmail(id: string, email: string, now = Date.now()): Promise<CustomerRecord> {
    return this.#uniqueEmail(() =>
      this.#repo.transaction(async (trx) => {
        const current = await this.#repo.findById(id, trx);
        if (!current) throw notFound('customer');
        if (email !== current.email && (await this.#repo.emailTaken(current.pool, email, trx))) throw emailTaken();
        await this.#creationGuard?.(trx, current.pool, email, customerActor(id));
        const next: CustomerRecord = { ...current, email, emailVerifiedAt: now, updatedAt: now };
        if (!(await this.#repo.update(next, trx))) throw concurrentUpdate('customer');
        await this.#revokeAccount(id, trx);
        await this.#events?.publish(trx, { type: 'customer.updated', customerId: id, data: { fields: ['email'], status: next.status } }, now);
        await this.#audit.append(trx, { action: 'customer.email_changed', actor: customerActor(id), subject: subjectOf(id), details: { sessions_ended: true } }, now);
        return { ...next, version: next.version + 1 };
      }),
    );
  }

  /**
   * The customer's own new password (the account page, which has proven them): checked against the
   * policy, hashed, set and audited in one transaction. Their sessions are the page's to end (all
   * but the one making the change), unlike an operator's new password, which ends every one.
   */
  async changeOwnPassword(id: string, password: string, now = Date.now()): Promise<void> {
    const passwordHash = await this.#hashAcceptable(password);
    await this.#repo.transaction(async (trx) => {
      if (!(await this.#repo.findById(id, trx))) throw notFound('customer');
      await this.#repo.setPassword(id, passwordHash, now, trx);
      await this.#audit.append(trx, { action: 'credential.password_changed', actor: customerActor(id), subject: subjectOf(id) }, now);
    });
  }

  /**
   * The customer just proved the password an imported hash (`portvakt import`) was made from: it is
   * re-hashed to argon2id and replaces the imported one, unless the row changed meanwhile. Not
   * checked against today's policy: it is the password they already have.
   */
  async upgradeImportedPassword(id: string, importedHash: string, password: string, now = Date.now()): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.#repo.transaction(async (trx) => {
      if (!(await this.#repo.replacePasswordIf(id, importedHash, passwordHash, now, trx))) return;
      await this.#audit.append(trx, { action: 'credential.password_rehashed', actor: customerActor(id), subject: subjectOf(id), details: { from: importedHash.split(':', 2)[1] ?? 'imported' } }, now);
    });
  }

  /**
   * Recovery: a new password (checked and hashed by `hashNewPassword`), and every session, grant and token of the customer ends in the
   * same transaction (whoever knew the old password is out). The address is proven by the code.
   */
  async resetPassword(id: string, passwordHash: string, provenEmail: string, now = Date.now()): Promise<CustomerRecord> {
    return this.#repo.transaction(async (trx) => {
      const current = await this.#repo.findById(id, trx);
      if (!current) throw notFound('customer');
      await this.#repo.setPassword(id, passwordHash, now, trx);
      await this.#repo.markEmailVerified(id, provenEmail, now, trx);
      await this.#revokeAccount(id, trx);
      await this.#audit.append(trx, { action: 'credential.password_reset', actor: customerActor(id), subject: subjectOf(id), details: { sessions_ended: true } }, now);
      return { ...current, passwordHash };
    });
  }

  /**
   * GDPR erasure (a privacy request's part in Portvakt): like `remove`, with `alongside` done in the
   * same transaction on the record as it was (suppression, pseudonymizing what must stay), and every
   * owner of the customer's data asked to forget them, those only erasure asks included. An
   * already erased customer is not an error: a retried task finds nothing left and says so.
   */
  async erase(id: string, requestId: string, alongside: (trx: Transaction<Database>, customer: CustomerRecord) => Promise<void>, now = Date.now()): Promise<CustomerRecord | undefined> {
    return this.#repo.transaction(async (trx) => {
      const customer = await this.#repo.findById(id, trx);
      if (!customer) return undefined;
      await alongside(trx, customer);
      for (const owner of this.dataOwners()) await owner.forget(customer, trx);
      await this.#events?.publish(trx, { type: 'customer.erased', customerId: id, data: { request_id: requestId } }, now);
      await this.#audit.append(trx, { action: 'customer.erased', actor: SYSTEM, subject: subjectOf(id), details: { request_id: requestId } }, now);
      return customer;
    });
  }

  /**
   * Deletes the customer, their e-mail and credentials, and every session and token they hold:
   * every owner of the customer's data forgets them but those only erasure asks.
   */
  async remove(id: string, actor: Actor): Promise<void> {
    await this.#repo.transaction(async (trx) => {
      const customer = await this.#repo.findById(id, trx);
      if (customer) for (const owner of this.#owners) if (!owner.erasureOnly) await owner.forget(customer, trx);
      if (!(await this.#repo.delete(id, trx))) throw notFound('customer');
      await this.#events?.publish(trx, { type: 'customer.deleted', customerId: id, data: {} });
      await this.#audit.append(trx, { action: 'customer.deleted', actor, subject: subjectOf(id) });
    });
  }

  async #hashAcceptable(password: string): Promise<string> {
    assertAcceptablePassword(password, this.#passwordMinLength);
    return hashPassword(password);
  }

  /** Two concurrent sign-ups with one address: the database constraint decides, the loser gets 409. */
  async #uniqueEmail<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken();
      throw error;
    }
  }
}

/** A new, active customer as a creation input describes them (an API call, a sign-up, an import's line). */
export function newCustomerRecord(input: Omit<CustomerCreate, 'password'>, passwordHash: string | null, pool: string, now: number): CustomerRecord {
  return {
    id: crypto.randomUUID(),
    pool,
    status: 'active',
    email: input.email,
    emailVerifiedAt: input.email_verified ? now : null,
    phone: input.phone_number ?? null,
    phoneVerifiedAt: input.phone_number && input.phone_number_verified ? now : null,
    givenName: input.given_name ?? null,
    familyName: input.family_name ?? null,
    locale: input.locale ?? null,
    passwordHash,
    version: 0,
    createdAt: now,
    updatedAt: now,
  };
}

function subjectOf(id: string) {
  return { type: 'customer', id };
}

export function presentCustomer(record: CustomerRecord): CustomerOutput {
  return {
    id: record.id,
    email: record.email,
    email_verified: record.emailVerifiedAt !== null,
    phone_number: record.phone,
    phone_number_verified: record.phoneVerifiedAt !== null,
    given_name: record.givenName,
    family_name: record.familyName,
    locale: record.locale,
    status: record.status,
    has_password: record.passwordHash !== null,
    created_at: Math.floor(record.createdAt / 1000),
    updated_at: Math.floor(record.updatedAt / 1000),
  };
}
