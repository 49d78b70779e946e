import { sql, type Kysely } from 'kysely';
import type { CustomerReferences } from '../customers/customer-references.ts';
import type { CustomerRecord, CustomerStore } from '../customers/customer-store.ts';
import { DEFAULT_POOL, type Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Actor } from '../events/audit-log.ts';
import { OPEN_REQUEST_STATES } from '../privacy/privacy-request.ts';
import type { PrivacyRequests } from '../privacy/privacy-requests.ts';
import type { Database } from '../store/schema.ts';
import { ScimError } from './scim-errors.ts';
import { userFields, type ScimUser, type UserFields } from './scim-user-schema.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** Who provisions: the integration key as the audit names it, and the one system its `externalId`s are references in. */
export interface Provisioner {
  actor: Actor;
  system: string;
}

export interface UserPage {
  totalResults: number;
  startIndex: number;
  resources: ScimUser[];
}

/** The filters a provisioning system looks a user up by: one attribute, compared with `eq`. */
export type UserFilter = { attribute: 'userName' | 'externalId'; value: string };

/**
 * SCIM 2.0 Users (RFC 7643/7644) over Portvakt's customers: `userName` is the e-mail address,
 * `name.givenName`/`familyName`, the first of `phoneNumbers`, `active` (false: disabled), and
 * `externalId` the customer's reference in the key's system. Creation goes through the same
 * checks as the management API, so an erased customer's address is refused (409
 * `erased_customer`), never re-created. DELETE does not delete: the customer is disabled and an
 * erasure request is opened for the privacy officer to verify, as for any operator's request; from
 * then on SCIM answers 404 for the user, as RFC 7644 §3.6 asks.
 */
export class ScimUsers {
  readonly #db: Kysely<Database>;
  readonly #customers: Customers;
  readonly #store: CustomerStore;
  readonly #references: CustomerReferences;
  readonly #requests: PrivacyRequests;

  constructor(deps: { db: Kysely<Database>; customers: Customers; customerStore: CustomerStore; references: CustomerReferences; requests: PrivacyRequests }) {
    this.#db = deps.db;
    this.#customers = deps.customers;
    this.#store = deps.customerStore;
    this.#references = deps.references;
    this.#requests = deps.requests;
  }

  async get(id: string, who: Provisioner): Promise<ScimUser> {
    const customer = await this.#present(id);
    return this.#resource(customer, await this.#externalId(customer.id, who.system));
  }

  /** A page (startIndex from 1) of the pool's customers, or of those the filter names, leaving out those SCIM deleted. */
  async list(filter: UserFilter | undefined, startIndex: number, count: number, who: Provisioner): Promise<UserPage> {
    if (filter) {
      const id = filter.attribute === 'userName' ? (await this.#store.findByEmail(DEFAULT_POOL, filter.value.toLowerCase()))?.id : await this.#references.customerWith(who.system, filter.value);
      const found = id && !(await this.#deleted(id)) ? [id] : [];
      const resources = startIndex === 1 && count > 0 ? await Promise.all(found.map((each) => this.get(each, who))) : [];
      return { totalResults: found.length, startIndex, resources };
    }
    const live = this.#db
      .selectFrom('customers as c')
      .where('c.pool', '=', DEFAULT_POOL)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('privacy_requests as r').select('r.id').whereRef('r.customer_id', '=', 'c.id').where('r.kind', '=', 'erasure').where('r.state', 'in', OPEN_REQUEST_STATES))));
    const total = Number((await live.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
    const ids = count === 0 ? [] : (await live.select('c.id').orderBy('c.created_at').orderBy('c.id').limit(count).offset(startIndex - 1).execute()).map((row) => row.id);
    const records = new Map((await this.#store.findByIds(ids)).map((record) => [record.id, record]));
    const references = await this.#db.selectFrom('customer_references').select(['customer_id', 'reference']).where('system', '=', who.system).where('customer_id', 'in', ids.length ? ids : ['']).execute();
    const externalIds = new Map(references.map((row) => [row.customer_id, row.reference]));
    const resources = ids.flatMap((id) => (records.has(id) ? [this.#resource(records.get(id)!, externalIds.get(id) ?? null)] : []));
    return { totalResults: total, startIndex, resources };
  }

  /** POST: a new customer, with their reference in the key's system in the same transaction. */
  async create(body: unknown, who: Provisioner): Promise<ScimUser> {
    const fields = userFields(body);
    const now = Date.now();
    const input = { email: fields.email, ...(fields.givenName ? { given_name: fields.givenName } : {}), ...(fields.familyName ? { family_name: fields.familyName } : {}), ...(fields.phone ? { phone_number: fields.phone } : {}) };
    const passwordHash = fields.password === undefined ? null : await this.#customers.hashNewPassword(fields.password);
    const created = await this.#customers.insertNew(input, passwordHash, who.actor, DEFAULT_POOL, now, async (trx, record) => {
      if (fields.externalId !== null) await this.#references.keepWithin(trx, record.id, who.system, fields.externalId, now);
      // A user provisioned inactive is created disabled: a new customer has no session to end.
      if (!fields.active) await this.#store.update({ ...record, status: 'disabled', updatedAt: now }, trx);
    });
    return this.get(created.id, who);
  }

  /** PUT: the resource replaced; what it leaves out (a name, the phone, externalId) is cleared. */
  async replace(id: string, body: unknown, who: Provisioner): Promise<ScimUser> {
    await this.#present(id);
    await this.#write(id, userFields(body), who);
    return this.get(id, who);
  }

  /** PATCH: the operations applied to the user as SCIM shows it (by `scim-patch`), then written like a PUT of the result. */
  async patch(id: string, apply: (user: ScimUser) => ScimUser, who: Provisioner): Promise<ScimUser> {
    const patched = apply(await this.get(id, who));
    await this.#write(id, userFields(patched), who);
    return this.get(id, who);
  }

  /** DELETE: disabled at once (sessions and tokens end) and an erasure request opened; erasure itself goes the privacy flow's way. */
  async remove(id: string, who: Provisioner): Promise<void> {
    await this.#present(id);
    await this.#customers.update(id, { status: 'disabled' }, who.actor);
    await this.#requests.create({ customerId: id, kind: 'erasure', source: 'operator' }, who.actor).catch((error: unknown) => {
      // Opened meanwhile by someone else: the customer is as good as deleted for SCIM either way.
      if (!(error instanceof DomainError && error.code === 'request_open')) throw error;
    });
  }

  async #write(id: string, fields: UserFields, who: Provisioner): Promise<void> {
    const now = Date.now();
    const patch = { email: fields.email, given_name: fields.givenName, family_name: fields.familyName, phone_number: fields.phone, status: fields.active ? ('active' as const) : ('disabled' as const), ...(fields.password ? { password: fields.password } : {}) };
    await this.#customers.update(id, patch, who.actor, now, (trx) => this.#references.keepWithin(trx, id, who.system, fields.externalId, now));
  }

  /** The customer, unless there is none or SCIM deleted them (an erasure request is open). */
  async #present(id: string): Promise<CustomerRecord> {
    const customer = /^[0-9a-f-]{36}$/.test(id) ? await this.#store.findById(id) : undefined;
    if (!customer || customer.pool !== DEFAULT_POOL || (await this.#deleted(id))) throw new ScimError(404, undefined, `User ${id} not found`);
    return customer;
  }

  async #deleted(id: string): Promise<boolean> {
    const open = await this.#db.selectFrom('privacy_requests').select('id').where('customer_id', '=', id).where('kind', '=', 'erasure').where('state', 'in', OPEN_REQUEST_STATES).executeTakeFirst();
    return open !== undefined;
  }

  async #externalId(customerId: string, system: string): Promise<string | null> {
    const row = await this.#db.selectFrom('customer_references').select('reference').where('customer_id', '=', customerId).where('system', '=', system).executeTakeFirst();
    return row?.reference ?? null;
  }

  #resource(customer: CustomerRecord, externalId: string | null): ScimUser {
    const name = customer.givenName || customer.familyName ? { name: { ...(customer.givenName ? { givenName: customer.givenName } : {}), ...(customer.familyName ? { familyName: customer.familyName } : {}) } } : {};
    return {
      schemas: [USER_SCHEMA],
      id: customer.id,
      ...(externalId ? { externalId } : {}),
      userName: customer.email,
      ...name,
      emails: [{ value: customer.email, primary: true }],
      ...(customer.phone ? { phoneNumbers: [{ value: customer.phone, primary: true }] } : {}),
      active: customer.status === 'active',
      meta: { resourceType: 'User', created: new Date(customer.createdAt).toISOString(), lastModified: new Date(customer.updatedAt).toISOString(), version: `W/"${customer.version}"` },
    };
  }
}
