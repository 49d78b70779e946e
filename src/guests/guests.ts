import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { ConsentLedger, Decision } from '../consent/consent-ledger.ts';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import type { CustomerStore } from '../customers/customer-store.ts';
import { notFound } from '../errors/domain-error.ts';
import { OPERATOR, customerActor, type AuditLog } from '../events/audit-log.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import type { Database, GuestsTable } from '../store/schema.ts';

/** How long a guest can be claimed: the link in the order e-mail works this long. */
const CLAIM_DAYS = 30;

export interface Guest {
  id: string;
  email: string;
  givenName: string | null;
  familyName: string | null;
  orderReferences: string[];
  consents: Decision[];
  locale: string;
  clientId: string | null;
  createdAt: number;
  expiresAt: number;
  claimedBy: string | null;
  claimedAt: number | null;
}

export interface GuestInput {
  email: string;
  given_name?: string | undefined;
  family_name?: string | undefined;
  order_references: string[];
  consents: Decision[];
  /** The language the checkout's consent texts were shown in. */
  locale: 'sv' | 'en';
  client_id?: string | undefined;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Guest checkout: a shop records a guest (e-mail, names, order references, the consent choices
 * made at checkout) without a credential. The person claims it in an authorization request with
 * `prompt=create&guest={token}`: a code to the address makes it an account with the guest's data
 * (the sign-up form shows the checkout's choices ticked); when the address already has an account,
 * the code signs into it and the guest is merged into it. Either way one customer, claimed once.
 */
export class Guests implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'guests',
      columns: { id: 'plain', pool: 'plain', email: 'contact', given_name: 'identity', family_name: 'identity', order_references: 'orders', consents: 'consents', locale: 'identity', client_id: 'plain', token_hash: 'plain', created_at: 'plain', expires_at: 'plain', claimed_by: 'orders', claimed_at: 'plain' },
      erasure: { rule: 'delete' },
      export: {
        rule: 'included',
        section: 'guest_checkouts',
        reason: 'the checkouts the customer claimed, with their order references; never the claim token\'s hash; a checkout left unclaimed under the address is not theirs until proven (it may be someone else\'s mistyped address), so it is erased with them but not shown',
      },
    },
    {
      table: 'customer_orders',
      columns: { customer_id: 'orders', reference: 'orders', guest_id: 'plain', created_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'orders' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #customerStore: CustomerStore;
  readonly #ledger: ConsentLedger;
  readonly #audit: AuditLog;
  readonly #events: EventPublisher;
  readonly #pool: string;

  constructor(deps: { db: Kysely<Database>; customerStore: CustomerStore; ledger: ConsentLedger; audit: AuditLog; events: EventPublisher; pool: string }) {
    this.#db = deps.db;
    this.#customerStore = deps.customerStore;
    this.#ledger = deps.ledger;
    this.#audit = deps.audit;
    this.#events = deps.events;
    this.#pool = deps.pool;
  }

  /** A new guest and its claim token (shown once). Consent choices are checked now, as the ledger would. */
  async create(input: GuestInput, now = Date.now()): Promise<{ guest: Guest; token: string }> {
    await this.#ledger.validate(input.consents);
    const token = randomBytes(32).toString('base64url');
    const row: GuestsTable = {
      id: randomUUID(),
      pool: this.#pool,
      email: input.email,
      given_name: input.given_name ?? null,
      family_name: input.family_name ?? null,
      order_references: JSON.stringify(input.order_references),
      consents: JSON.stringify(input.consents),
      locale: input.locale,
      client_id: input.client_id ?? null,
      token_hash: hash(token),
      created_at: now,
      expires_at: now + CLAIM_DAYS * 86_400_000,
      claimed_by: null,
      claimed_at: null,
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('guests').values(row).execute();
      await this.#audit.append(trx, { action: 'guest.created', actor: OPERATOR, subject: { type: 'guest', id: row.id }, details: { orders: input.order_references.length, consents: input.consents.length } }, now);
    });
    return { guest: present(row), token };
  }

  async get(id: string): Promise<Guest> {
    const row = await this.#db.selectFrom('guests').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('guest');
    return present(row);
  }

  /** The live, unclaimed guest a claim token names, if any. */
  async byToken(token: unknown, now = Date.now()): Promise<Guest | undefined> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const row = await this.#db.selectFrom('guests').selectAll().where('token_hash', '=', hash(token)).executeTakeFirst();
    if (!row || row.claimed_by !== null || Number(row.expires_at) <= now) return undefined;
    return present(row);
  }

  /**
   * A sign-in completes in an authorization request that carries the claim token. The customer gets
   * the guest when they hold its address and proved it in this very sign-in with a code sent there
   * (`email` in the methods): a password alone proves the account, not that the checkout was theirs.
   * Names the account lacks and the order references are kept, in one transaction; the guest is
   * claimed once. Names filled in are a `customer.updated` event, as any other profile change, so
   * systems that keep a copy of the profile (a CRM) hear of them. The checkout's consent choices are not recorded here (they may be someone else's
   * who mistyped the address): the sign-up form shows them ticked, and an existing account is asked
   * at this sign-in like any purpose never decided.
   */
  async claim(token: unknown, customerId: string, methods: readonly string[], now = Date.now()): Promise<boolean> {
    if (!methods.includes('email')) return false;
    const guest = await this.byToken(token, now);
    if (!guest) return false;
    return this.#db.transaction().execute(async (trx) => {
      const customer = await trx
        .selectFrom('customers as c')
        .innerJoin('customer_emails as e', 'e.customer_id', 'c.id')
        .select(['e.email', 'c.given_name', 'c.family_name', 'c.status', 'c.version'])
        .where('c.id', '=', customerId)
        .executeTakeFirst();
      if (customer?.email !== guest.email) return false;
      const taken = await trx.updateTable('guests').set({ claimed_by: customerId, claimed_at: now }).where('id', '=', guest.id).where('claimed_by', 'is', null).executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) return false;
      const names = { ...(!customer.given_name && guest.givenName ? { given_name: guest.givenName } : {}), ...(!customer.family_name && guest.familyName ? { family_name: guest.familyName } : {}) };
      let filled: string[] = [];
      if (Object.keys(names).length > 0) {
        // Only over the version read: a profile edit made meanwhile keeps its names, and the claim
        // goes on without filling any.
        if (await this.#customerStore.fillNames(customerId, names, customer.version, now, trx)) filled = Object.keys(names).sort();
      }
      if (filled.length > 0) await this.#events.publish(trx, { type: 'customer.updated', customerId, data: { fields: filled, status: customer.status } }, now);
      for (const reference of guest.orderReferences) {
        await trx.insertInto('customer_orders').values({ customer_id: customerId, reference, guest_id: guest.id, created_at: now }).onConflict((conflict) => conflict.columns(['customer_id', 'reference']).doNothing()).execute();
      }
      await this.#audit.append(trx, { action: 'guest.claimed', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { guest: guest.id, orders: guest.orderReferences.length, names: filled } }, now);
      return true;
    });
  }

  /** An order reference from elsewhere than a guest checkout (a store's receipt), in the caller's transaction; the same reference twice is kept once. */
  async recordOrder(trx: Transaction<Database>, customerId: string, reference: string, now = Date.now()): Promise<void> {
    await trx.insertInto('customer_orders').values({ customer_id: customerId, reference, guest_id: null, created_at: now }).onConflict((conflict) => conflict.columns(['customer_id', 'reference']).doNothing()).execute();
  }

  async ordersOf(customerId: string): Promise<Array<{ reference: string; guestId: string | null; createdAt: number }>> {
    const rows = await this.#db.selectFrom('customer_orders').selectAll().where('customer_id', '=', customerId).orderBy('created_at').orderBy('reference').execute();
    return rows.map((row) => ({ reference: row.reference, guestId: row.guest_id, createdAt: Number(row.created_at) }));
  }

  /** The customer's orders, and the guest checkouts they claimed (order references, names, e-mail address and the choices made at checkout). */
  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const [orders, claimed] = await Promise.all([
      db.selectFrom('customer_orders').selectAll().where('customer_id', '=', customer.id).orderBy('created_at').orderBy('reference').execute(),
      db.selectFrom('guests').selectAll().where('claimed_by', '=', customer.id).orderBy('created_at').orderBy('id').execute(),
    ]);
    return {
      orders: orders.map((row) => ({ reference: row.reference, guest_checkout: row.guest_id, created_at: isoTime(row.created_at) })),
      guest_checkouts: claimed.map((row) => ({
        id: row.id,
        email: row.email,
        given_name: row.given_name,
        family_name: row.family_name,
        order_references: JSON.parse(row.order_references) as string[],
        consents: JSON.parse(row.consents) as Decision[],
        locale: row.locale,
        client_id: row.client_id,
        created_at: isoTime(row.created_at),
        claimed_at: isoTime(row.claimed_at),
      })),
    };
  }

  /**
   * Guest checkouts the customer claimed, or left unclaimed under their address, go with them, and
   * the orders taken from them. Guests go before the customer row (its foreign key would clear `claimed_by`).
   */
  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx
      .deleteFrom('guests')
      .where((eb) => eb.or([eb('claimed_by', '=', customer.id), eb.and([eb('pool', '=', customer.pool), eb('email', '=', customer.email)])]))
      .execute();
    await trx.deleteFrom('customer_orders').where('customer_id', '=', customer.id).execute();
  }

  /** Guests nobody claimed in time go: their data was kept for the claim only. */
  async deleteExpired(now = Date.now()): Promise<number> {
    const result = await this.#db.deleteFrom('guests').where('claimed_by', 'is', null).where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function present(row: GuestsTable): Guest {
  return {
    id: row.id,
    email: row.email,
    givenName: row.given_name,
    familyName: row.family_name,
    orderReferences: JSON.parse(row.order_references) as string[],
    consents: JSON.parse(row.consents) as Decision[],
    locale: row.locale,
    clientId: row.client_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    claimedBy: row.claimed_by,
    claimedAt: row.claimed_at === null ? null : Number(row.claimed_at),
  };
}

