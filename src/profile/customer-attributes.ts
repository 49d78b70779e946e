import type { Kysely, Transaction } from 'kysely';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import { z } from 'zod';
import { DomainError, notFound } from '../errors/domain-error.ts';
import type { Actor, AuditLog } from '../events/audit-log.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import type { Database } from '../store/schema.ts';
import { valueSchema } from './attribute-types.ts';
import type { AttributeDefinition, ProfileSchema } from './profile-schema.ts';

/**
 * A customer's attribute values, each checked against its type in the profile schema. A change
 * is one transaction with its audit entry (field names, never values) and a `customer.updated`
 * event; `null` removes a value.
 */
export class CustomerAttributes implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'customer_attributes',
      columns: { customer_id: 'profile_attributes', key: 'plain', value: 'profile_attributes', updated_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'attributes', reason: 'every value with its key and when it changed; the profile shows the same values as address, birthdate and attributes' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #schema: ProfileSchema;
  readonly #audit: AuditLog;
  readonly #events: EventPublisher;
  readonly #listeners: Array<(trx: Transaction<Database>, customerId: string, now: number) => Promise<void>> = [];

  constructor(deps: { db: Kysely<Database>; schema: ProfileSchema; audit: AuditLog; events: EventPublisher }) {
    this.#db = deps.db;
    this.#schema = deps.schema;
    this.#audit = deps.audit;
    this.#events = deps.events;
  }

  /** `listener` runs in the transaction of every change of a customer's values (segments on attributes follow). */
  onChange(listener: (trx: Transaction<Database>, customerId: string, now: number) => Promise<void>): void {
    this.#listeners.push(listener);
  }

  async of(customerId: string): Promise<Record<string, unknown>> {
    const rows = await this.#db.selectFrom('customer_attributes').select(['key', 'value']).where('customer_id', '=', customerId).orderBy('key').execute();
    return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));
  }

  /** Checks every value against its attribute first: an unknown key or a wrong value changes nothing. */
  async set(customerId: string, changes: Record<string, unknown>, actor: Actor, now = Date.now()): Promise<Record<string, unknown>> {
    const checked = await this.check(changes);
    await this.#db.transaction().execute(async (trx) => {
      const customer = await trx.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
      if (!customer) throw notFound('customer');
      await this.writeWithin(trx, customerId, checked, actor, now);
    });
    return this.of(customerId);
  }

  /** Changes checked against the schema as it is now (never another node's stale copy; `fresh`: that schema, already read): 400 unknown_attribute or validation_failed. */
  async check(changes: Record<string, unknown>, fresh?: readonly AttributeDefinition[]): Promise<Array<[string, unknown]>> {
    return checkValues(new Map((fresh ?? (await this.#schema.listFresh())).map((attribute) => [attribute.key, attribute])), changes);
  }

  /** Writes checked changes inside the caller's transaction (the customer's own profile page changes names and attributes at once). */
  async writeWithin(trx: Transaction<Database>, customerId: string, checked: Array<[string, unknown]>, actor: Actor, now = Date.now()): Promise<void> {
    if (checked.length === 0) return;
    await this.#writeValues(trx, customerId, checked, now);
    const fields = checked.map(([key]) => key).sort();
    await this.#events.publish(trx, { type: 'customer.updated', customerId, data: { fields: fields.map((key) => `attributes.${key}`) } }, now);
    await this.#audit.append(trx, { action: 'customer.attributes_updated', actor, subject: { type: 'customer', id: customerId }, details: { fields } }, now);
    for (const listener of this.#listeners) await listener(trx, customerId, now);
  }

  /** An import's values (`portvakt import`), in its batch's transaction: audited once for the whole run by the import, published only with the customer's own event. */
  async importWithin(trx: Transaction<Database>, customerId: string, checked: Array<[string, unknown]>, now: number): Promise<void> {
    if (checked.length === 0) return;
    await this.#writeValues(trx, customerId, checked, now);
    for (const listener of this.#listeners) await listener(trx, customerId, now);
  }

  async #writeValues(trx: Transaction<Database>, customerId: string, checked: Array<[string, unknown]>, now: number): Promise<void> {
    for (const [key, value] of checked) {
      if (value === null) {
        await trx.deleteFrom('customer_attributes').where('customer_id', '=', customerId).where('key', '=', key).execute();
        continue;
      }
      const row = { value: JSON.stringify(value), updated_at: now };
      await trx.insertInto('customer_attributes').values({ customer_id: customerId, key, ...row }).onConflict((conflict) => conflict.columns(['customer_id', 'key']).doUpdateSet(row)).execute();
    }
  }

  /** Every customer's value of an attribute removed from the schema, in the removal's transaction. */
  async removeKey(trx: Transaction<Database>, key: string): Promise<void> {
    await trx.deleteFrom('customer_attributes').where('key', '=', key).execute();
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('customer_attributes').select(['key', 'value', 'updated_at']).where('customer_id', '=', customer.id).orderBy('key').execute();
    return { attributes: rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) as unknown, updated_at: isoTime(row.updated_at) })) };
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('customer_attributes').where('customer_id', '=', customer.id).execute();
  }
}

/** Every key known, every value of its type (null removes); the first problem is a 400 naming all of them. */
export function checkValues(schema: Map<string, AttributeDefinition>, changes: Record<string, unknown>): Array<[string, unknown]> {
  const problems: Array<{ path: string; message: string }> = [];
  const checked: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(changes)) {
    const attribute = schema.get(key);
    if (!attribute) {
      problems.push({ path: key, message: 'no such attribute in the profile schema' });
      continue;
    }
    if (value === null) {
      checked.push([key, null]);
      continue;
    }
    const result = valueSchema(attribute.type, attribute.options).safeParse(value);
    if (result.success) checked.push([key, result.data]);
    else problems.push(...result.error.issues.map((issue) => ({ path: [key, ...issue.path.map(String)].join('.'), message: issue.message })));
  }
  if (problems.some((problem) => problem.message === 'no such attribute in the profile schema')) throw new DomainError('unknown_attribute', 400, 'The profile schema has no such attribute', problems);
  if (problems.length > 0) throw new DomainError('validation_failed', 400, 'A value does not match its attribute', problems);
  return checked;
}

export const attributeChanges = z.record(z.string().max(64), z.unknown()).refine((value) => Object.keys(value).length <= 50, 'at most 50 attributes at once');
