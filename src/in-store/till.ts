import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { CustomerDataOwner, ForgottenCustomer, TableDeclaration } from '../customers/customer-data.ts';
import { isoTime } from '../customers/customer-data.ts';
import type { CustomerReferences } from '../customers/customer-references.ts';
import type { Customers } from '../customers/customers.ts';
import type { CallerVerifications } from '../customer-service/caller-verifications.ts';
import { clientNetwork } from '../credentials/client-address.ts';
import type { LoginThrottle } from '../credentials/login-throttle.ts';
import { DomainError, tooManyAttempts } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import type { Guests } from '../guests/guests.ts';
import type { Operator } from '../operators/operator-roles.ts';
import type { IngestResult, Personalization } from '../personalization/personalization.ts';
import type { SignalInput } from '../personalization/personalization.schemas.ts';
import type { Database, StoreVisitsTable } from '../store/schema.ts';
import type { MemberCodes } from './member-codes.ts';
import type { Store, Stores } from './stores.ts';

export interface TillDeps {
  stores: Stores;
  codes: MemberCodes;
  throttle: LoginThrottle;
  verifications: CallerVerifications;
  customers: Customers;
  references: CustomerReferences;
  personalization: Personalization;
  guests: Guests;
  audit: AuditLog;
}

/** Member codes and phone codes a till may try before it waits (and as many per network). */
const TILL_FREE_ATTEMPTS = 20;
/** How long an approval in the customer's account identifies them at the till that asked. */
const APPROVAL_TTL_MS = 5 * 60_000;
/** A till posts the receipt of a customer it identified within this time. */
const VISIT_TTL_MS = 60 * 60_000;

/** What a till learns of the customer in front of it: their id (random, it says nothing of the person), what the store releases, and the visit its receipt names. */
export interface Identified {
  visitId: string;
  customerId: string;
  references: Record<string, string>;
  segments: string[];
}

export interface Receipt {
  visitId: string;
  receiptId: string;
  occurredAt: string;
  items: SignalInput['items'];
}

/**
 * The till in a store (an API key with the role `store`, of one store): identifies the customer by
 * the member code they show, or by their phone and a code sent there (customer service's caller
 * verification, in the store's name), and posts their receipts — an order on their account and,
 * under the profiling consent, a purchase event. Attempts are throttled per till and per network;
 * each identification and receipt is audited with the store.
 */
export class Till implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'store_visits',
      columns: { id: 'plain', store: 'orders', customer_id: 'orders', method: 'plain', created_at: 'orders' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'store_visits' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #deps: TillDeps;

  constructor(db: Kysely<Database>, deps: TillDeps) {
    this.#db = db;
    this.#deps = deps;
  }

  /** The store of a till key (a store key names one; any other caller is refused). */
  async storeOf(operator: Operator): Promise<Store> {
    if (!operator.store) throw new DomainError('store_key_required', 403, 'Only a till of a store (an API key with the role store) does this');
    return this.#deps.stores.get(operator.store);
  }

  /** The customer whose member code was scanned. */
  async identifyByCode(operator: Operator, code: string, ip: string, now = Date.now()): Promise<Identified> {
    const store = await this.storeOf(operator);
    return this.#throttled(operator, ip, async () => {
      const visit = await this.#db.transaction().execute(async (trx) => {
        const customerId = await this.#deps.codes.take(trx, code, store.brand ?? '', now);
        return this.#visit(trx, store, customerId, 'member_code', operator, now);
      });
      return this.#identified(store, visit);
    });
  }

  /**
   * The customer typed their phone number on the till's pad: a code goes to it by SMS (or a prompt
   * to their signed-in account, `portal`). An unknown or unverified number is answered alike, with
   * a verification that no code will ever pass: the till learns nothing from the answer.
   */
  async startByPhone(operator: Operator, phone: string, channel: 'sms' | 'portal'): Promise<{ verificationId: string }> {
    const store = await this.storeOf(operator);
    const customer = await this.#deps.customers.findByVerifiedPhone(phone);
    if (!customer || customer.status !== 'active') return { verificationId: randomUUID() };
    const started = await this.#deps.verifications.start({ customerId: customer.id, channel, operatorId: operator.id, agentId: `store:${store.key}` }).catch((error: unknown) => {
      if (error instanceof DomainError && error.status === 409) return undefined;
      throw error;
    });
    return { verificationId: started?.id ?? randomUUID() };
  }

  /** The code the customer read from their phone (or, for a prompt, nothing: the answer they gave in their account). */
  async checkByPhone(operator: Operator, verificationId: string, code: string | undefined, ip: string, now = Date.now()): Promise<Identified> {
    const store = await this.storeOf(operator);
    return this.#throttled(operator, ip, async () => {
      const verification = await this.#deps.verifications.get(verificationId, now).catch(() => undefined);
      // Another till's, or one no code passes: the same answer as a wrong code.
      if (!verification || verification.operatorId !== operator.id) throw new DomainError('invalid_code', 400, 'Wrong code');
      const checked = verification.channel === 'portal' ? verification : await this.#deps.verifications.check(verificationId, code ?? '', ip, now);
      if (checked.status !== 'verified') throw new DomainError('not_verified', 409, `The verification is ${checked.status}`);
      // An approval in the account identifies the customer at this till for a few minutes, not for ever.
      if ((checked.decidedAt ?? 0) < now - APPROVAL_TTL_MS) throw new DomainError('not_verified', 409, 'The approval is too old: start again');
      const visit = await this.#db.transaction().execute((trx) => this.#visit(trx, store, checked.customerId, checked.channel === 'portal' ? 'portal' : 'sms', operator, now));
      return this.#identified(store, visit);
    });
  }

  /** A receipt of a customer the till identified (within the hour): an order on their account and a purchase event, in one transaction. */
  async receipt(operator: Operator, receipt: Receipt, now = Date.now()): Promise<{ order: string; event: IngestResult }> {
    const store = await this.storeOf(operator);
    const visit = await this.#db.selectFrom('store_visits').selectAll().where('id', '=', receipt.visitId).executeTakeFirst();
    if (!visit || visit.store !== store.key || Number(visit.created_at) < now - VISIT_TTL_MS) throw new DomainError('unknown_visit', 404, 'No customer was identified at this store under that visit within the hour');
    const reference = `${store.key}:${receipt.receiptId}`;
    const event = { id: reference, customer: { id: visit.customer_id }, type: 'purchase', occurred_at: receipt.occurredAt, channel: 'store', ...(store.brand ? { brand: store.brand } : {}), items: receipt.items };
    const result = await this.#deps.personalization.ingest({ system: store.system, events: [event] }, now, async (trx) => {
      await this.#deps.guests.recordOrder(trx, visit.customer_id, reference, now);
      await this.#deps.audit.append(trx, { action: 'store.receipt', actor: OPERATOR, subject: { type: 'customer', id: visit.customer_id }, details: { store: store.key, receipt: receipt.receiptId } }, now);
    });
    return { order: reference, event: result };
  }

  async #throttled<T>(operator: Operator, ip: string, step: () => Promise<T>): Promise<T> {
    const till = this.#deps.throttle.keyFor('till', operator.id, TILL_FREE_ATTEMPTS);
    // A counter of its own per network: a till's misses never lock customers' sign-ins from the store's network.
    const network = this.#deps.throttle.keyFor('till-network', clientNetwork(ip), TILL_FREE_ATTEMPTS);
    const decision = await this.#deps.throttle.attempt([till, network]);
    if (!decision.allowed) throw tooManyAttempts(decision.retryAfterSeconds);
    const result = await step();
    await this.#deps.throttle.succeeded(till, network);
    return result;
  }

  async #visit(trx: Transaction<Database>, store: Store, customerId: string, method: StoreVisitsTable['method'], operator: Operator, now: number): Promise<StoreVisitsTable> {
    const visit: StoreVisitsTable = { id: randomUUID(), store: store.key, customer_id: customerId, method, created_at: now };
    await trx.insertInto('store_visits').values(visit).execute();
    await this.#deps.audit.append(trx, { action: 'store.identified', actor: OPERATOR, subject: { type: 'customer', id: customerId }, details: { store: store.key, method, key: operator.id } }, now);
    return visit;
  }

  async #identified(store: Store, visit: StoreVisitsTable): Promise<Identified> {
    const [references, segments] = await Promise.all([
      store.referenceSystems.length > 0 ? this.#deps.references.list(visit.customer_id) : [],
      this.#deps.personalization.claim(visit.customer_id, store.segments),
    ]);
    return {
      visitId: visit.id,
      customerId: visit.customer_id,
      references: Object.fromEntries(references.filter((entry) => store.referenceSystems.includes(entry.system)).map((entry) => [entry.system, entry.reference])),
      segments,
    };
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('store_visits').selectAll().where('customer_id', '=', customer.id).orderBy('created_at').execute();
    return { store_visits: rows.map((row) => ({ store: row.store, method: row.method, at: isoTime(row.created_at) })) };
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('store_visits').where('customer_id', '=', customer.id).execute();
  }

  /** Visits older than a receipt may name are deleted (the cleanup job): what stays is the order and the audit entry. */
  async deleteStale(now = Date.now()): Promise<void> {
    await this.#db.deleteFrom('store_visits').where('created_at', '<', now - VISIT_TTL_MS).execute();
  }
}
