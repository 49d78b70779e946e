import type { Kysely, Transaction } from 'kysely';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from './customer-data.ts';
import { CustomerCounts, referencesIn } from './customer-counts.ts';
import { conflict, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import type { Database } from '../store/schema.ts';

export interface CustomerReference {
  system: string;
  reference: string;
  createdAt: number;
}

/**
 * The customer's id in other systems (CRM id, loyalty number, web-shop customer id): one per
 * system, and one customer per (system, id), only in systems on the data map. The data map sends it with every privacy request, so
 * each system can find the person without Portvakt sending an e-mail address.
 */
export class CustomerReferences implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'customer_references',
      columns: { customer_id: 'external_references', system: 'plain', reference: 'external_references', created_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'external_references' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #audit: AuditLog;

  /** Whether a system is on the data map, held there for the transaction (privacy/data-systems.ts, holdMapped). */
  readonly #mapped: (trx: Transaction<Database>, system: string) => Promise<boolean>;

  constructor(db: Kysely<Database>, audit: AuditLog, mapped: (trx: Transaction<Database>, system: string) => Promise<boolean>) {
    this.#db = db;
    this.#audit = audit;
    this.#mapped = mapped;
  }

  async set(customerId: string, system: string, reference: string, now = Date.now()): Promise<CustomerReference> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        const customer = await trx.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
        if (!customer) throw notFound('customer');
        // Only into systems on the data map: a reference elsewhere would escape the map, export and erasure.
        if (!(await this.#mapped(trx, system))) throw conflict('unknown_system', `${system} is not on the data map: add it there first`);
        const replaced = await trx.deleteFrom('customer_references').where('customer_id', '=', customerId).where('system', '=', system).executeTakeFirst();
        await trx.insertInto('customer_references').values({ customer_id: customerId, system, reference, created_at: now }).execute();
        if (Number(replaced.numDeletedRows) === 0) await CustomerCounts.change(trx, referencesIn(system), 1);
        await this.#audit.append(trx, { action: 'customer.reference_set', actor: OPERATOR, subject: { type: 'customer', id: customerId }, details: { system } }, now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('reference_taken', `Another customer has ${system} reference ${reference}`);
      throw error;
    }
    return { system, reference, createdAt: now };
  }

  /** Whether a system is on the data map, held for the caller's transaction (an import checks each system it writes into). */
  mappedWithin(trx: Transaction<Database>, system: string): Promise<boolean> {
    return this.#mapped(trx, system);
  }

  /** Who has this id in this system, read in the caller's transaction. */
  async customerWithin(trx: Transaction<Database>, system: string, reference: string): Promise<string | undefined> {
    const row = await trx.selectFrom('customer_references').select('customer_id').where('system', '=', system).where('reference', '=', reference).executeTakeFirst();
    return row?.customer_id;
  }

  /** Who has each of these ids in this system (id → customer), read in the caller's transaction in one query. */
  async customersWithin(trx: Transaction<Database>, system: string, references: readonly string[]): Promise<Map<string, string>> {
    if (references.length === 0) return new Map();
    const rows = await trx.selectFrom('customer_references').select(['reference', 'customer_id']).where('system', '=', system).where('reference', 'in', references).execute();
    return new Map(rows.map((row) => [row.reference, row.customer_id]));
  }

  /**
   * An import's reference (`portvakt import`), in its batch's transaction, into a system the caller
   * found mapped with `mappedWithin` and free with `customerWithin`; audited once for the run by the import.
   */
  async importWithin(trx: Transaction<Database>, customerId: string, system: string, reference: string, now: number): Promise<void> {
    const replaced = await trx.deleteFrom('customer_references').where('customer_id', '=', customerId).where('system', '=', system).executeTakeFirst();
    await trx.insertInto('customer_references').values({ customer_id: customerId, system, reference, created_at: now }).execute();
    if (Number(replaced.numDeletedRows) === 0) await CustomerCounts.change(trx, referencesIn(system), 1);
  }

  /**
   * The customer's id in a system set (or forgotten, with null) in the caller's transaction, as
   * `set` and `remove` do it and audited alike: a provisioning system (SCIM) changes the customer
   * and their id there all or nothing.
   */
  async keepWithin(trx: Transaction<Database>, customerId: string, system: string, reference: string | null, now: number): Promise<void> {
    const current = await trx.selectFrom('customer_references').select('reference').where('customer_id', '=', customerId).where('system', '=', system).executeTakeFirst();
    if ((current?.reference ?? null) === reference) return;
    if (reference === null) {
      await trx.deleteFrom('customer_references').where('customer_id', '=', customerId).where('system', '=', system).execute();
      await CustomerCounts.change(trx, referencesIn(system), -1);
      await this.#audit.append(trx, { action: 'customer.reference_removed', actor: OPERATOR, subject: { type: 'customer', id: customerId }, details: { system } }, now);
      return;
    }
    if (!(await this.#mapped(trx, system))) throw conflict('unknown_system', `${system} is not on the data map: add it there first`);
    const holder = await this.customerWithin(trx, system, reference);
    if (holder && holder !== customerId) throw conflict('reference_taken', `Another customer has ${system} reference ${reference}`);
    await this.importWithin(trx, customerId, system, reference, now);
    await this.#audit.append(trx, { action: 'customer.reference_set', actor: OPERATOR, subject: { type: 'customer', id: customerId }, details: { system } }, now);
  }

  /** Who has this id in this system (the other way round). */
  async customerWith(system: string, reference: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom('customer_references').select('customer_id').where('system', '=', system).where('reference', '=', reference).executeTakeFirst();
    return row?.customer_id;
  }

  /** Who has each of these ids in this system (reference → customer id; ids no one has are absent). */
  async customersWith(system: string, references: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let offset = 0; offset < references.length; offset += 500) {
      const rows = await this.#db.selectFrom('customer_references').select(['reference', 'customer_id']).where('system', '=', system).where('reference', 'in', references.slice(offset, offset + 500)).execute();
      for (const row of rows) found.set(row.reference, row.customer_id);
    }
    return found;
  }

  async list(customerId: string): Promise<CustomerReference[]> {
    const rows = await this.#db.selectFrom('customer_references').selectAll().where('customer_id', '=', customerId).orderBy('system').execute();
    return rows.map((row) => ({ system: row.system, reference: row.reference, createdAt: Number(row.created_at) }));
  }

  async remove(customerId: string, system: string, now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('customer_references').where('customer_id', '=', customerId).where('system', '=', system).executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1) throw notFound('reference');
      await CustomerCounts.change(trx, referencesIn(system), -1);
      await this.#audit.append(trx, { action: 'customer.reference_removed', actor: OPERATOR, subject: { type: 'customer', id: customerId }, details: { system } }, now);
    });
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('customer_references').select(['system', 'reference', 'created_at']).where('customer_id', '=', customer.id).orderBy('system').execute();
    return { external_references: rows.map((row) => ({ system: row.system, reference: row.reference, created_at: isoTime(row.created_at) })) };
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    const gone = await trx.deleteFrom('customer_references').where('customer_id', '=', customer.id).returning('system').execute();
    for (const { system } of gone) await CustomerCounts.change(trx, referencesIn(system), -1);
  }
}
