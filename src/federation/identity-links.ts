import type { Kysely, Transaction } from 'kysely';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import type { CustomerStore } from '../customers/customer-store.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import { customerActor, type AuditLog } from '../events/audit-log.ts';
import type { FlowState, InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { Database } from '../store/schema.ts';
import type { Connections } from './connections.ts';

type PendingLink = Extract<FlowState, { state: 'upstream_link' }>;

export interface LinkedIdentity {
  connection: string;
  name: string;
  createdAt: number;
  lastUsedAt: number;
}

/**
 * The identities a customer signs in with, and how one is linked to an account that exists: never
 * on the strength of a matching address, only after the customer proves the account in the same
 * sign-in (password, passkey or e-mail code). Until then the identity waits beside the sign-in,
 * under `{uid}:link`, and dies with it.
 */
export class IdentityLinks implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'identities',
      columns: { connection: 'plain', subject: 'linked_identities', customer_id: 'linked_identities', created_at: 'plain', last_used_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'identities', reason: 'the connection and the subject there, with dates; upstream tokens are never stored' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #customerStore: CustomerStore;
  readonly #flows: InteractionFlowStore;
  readonly #connections: Connections;
  readonly #customers: Customers;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; flows: InteractionFlowStore; connections: Connections; customers: Customers; customerStore: CustomerStore; audit: AuditLog }) {
    this.#db = deps.db;
    this.#customerStore = deps.customerStore;
    this.#customers = deps.customers;
    this.#flows = deps.flows;
    this.#connections = deps.connections;
    this.#audit = deps.audit;
  }

  offer(uid: string, link: Omit<PendingLink, 'state'>): Promise<void> {
    return this.#flows.set(pendingKey(uid), { state: 'upstream_link', ...link });
  }

  /** The customer gave up connecting the identity in this sign-in: it is dropped, and any way in works again. */
  async drop(uid: string): Promise<void> {
    await this.#flows.advance(pendingKey(uid), 'upstream_link', null);
  }

  async pending(uid: string): Promise<PendingLink | undefined> {
    const flow = await this.#flows.get(pendingKey(uid));
    return flow?.state === 'upstream_link' ? flow : undefined;
  }

  /**
   * A sign-in completes. If an identity waits, it is linked when the customer who proved
   * themselves holds its address and the proof covers what is in doubt: an
   * address the upstream vouched for needs the account proven any way (second factor included when
   * the customer has one); an address nobody vouched for needs a code sent to it (`email` in the
   * methods), so a stolen password cannot attach a way in. A customer links one identity per
   * connection. Anyone else signs in as themselves and the identity is dropped. Answers the linked
   * connection's name, for the security notice.
   */
  async settle(uid: string, customerId: string, methods: readonly string[], now = Date.now()): Promise<string | undefined> {
    const link = await this.pending(uid);
    if (!link || !(await this.#flows.advance(pendingKey(uid), 'upstream_link', null))) return undefined;
    if (!link.vouched && !methods.includes('email')) return undefined;
    const connection = await this.#connections.get(link.connection).catch(() => undefined);
    if (!connection?.enabled) return undefined;
    const linked = await this.#db.transaction().execute(async (trx) => {
      const customer = await trx
        .selectFrom('customers as c')
        .innerJoin('customer_emails as e', 'e.customer_id', 'c.id')
        .select(['e.email'])
        .where('c.id', '=', customerId)
        .executeTakeFirst();
      if (customer?.email !== link.email) return false;
      const already = await trx.selectFrom('identities').select('subject').where('customer_id', '=', customerId).where('connection', '=', link.connection).executeTakeFirst();
      if (already) return false;
      // Another sign-in may link the same upstream account at this moment: the key decides, quietly.
      const inserted = await trx
        .insertInto('identities')
        .values({ connection: link.connection, subject: link.subject, customer_id: customerId, created_at: now, last_used_at: now })
        .onConflict((conflict) => conflict.columns(['connection', 'subject']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      await this.#audit.append(trx, { action: 'identity.linked', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { connection: link.connection, proven_by_sign_in: true, proof: link.vouched ? 'account' : 'email_code' } }, now);
      return true;
    });
    if (!linked) return undefined;
    // Names the account lacks are taken from the upstream, as any profile change (event, audit).
    const current = await this.#customers.get(customerId);
    const names = { ...(!current.givenName && link.givenName ? { given_name: link.givenName } : {}), ...(!current.familyName && link.familyName ? { family_name: link.familyName } : {}) };
    if (Object.keys(names).length > 0) await this.#customers.update(customerId, names, customerActor(customerId), now);
    return connection.name;
  }

  /** An upstream sign-in with a linked identity: its last use. */
  async used(connection: string, subject: string, now = Date.now()): Promise<void> {
    await this.#db.updateTable('identities').set({ last_used_at: now }).where('connection', '=', connection).where('subject', '=', subject).execute();
  }

  /** Links an identity to a customer created in the same transaction (sign-up through an upstream). */
  async linkNew(trx: Transaction<Database>, identity: { connection: string; subject: string; customerId: string }, now: number): Promise<void> {
    await trx.insertInto('identities').values({ connection: identity.connection, subject: identity.subject, customer_id: identity.customerId, created_at: now, last_used_at: now }).execute();
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('identities').select(['connection', 'subject', 'created_at', 'last_used_at']).where('customer_id', '=', customer.id).orderBy('created_at').orderBy('connection').execute();
    return { identities: rows.map((row) => ({ connection: row.connection, subject: row.subject, linked_at: isoTime(row.created_at), last_used_at: isoTime(row.last_used_at) })) };
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('identities').where('customer_id', '=', customer.id).execute();
  }

  async list(customerId: string): Promise<LinkedIdentity[]> {
    const rows = await this.#db
      .selectFrom('identities')
      .innerJoin('connections', 'connections.key', 'identities.connection')
      .select(['identities.connection', 'connections.name', 'identities.created_at', 'identities.last_used_at'])
      .where('identities.customer_id', '=', customerId)
      .orderBy('identities.created_at')
      .execute();
    return rows.map((row) => ({ connection: row.connection, name: row.name, createdAt: Number(row.created_at), lastUsedAt: Number(row.last_used_at) }));
  }

  /**
   * Unlinks an identity, unless it is the last way in the customer set up: no password, no
   * passkey, no other identity. (E-mail codes are how a lost account is recovered, not a way the
   * customer chose; Keycloak draws the same line.)
   */
  async unlink(customerId: string, connection: string, now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      // The customer row is written first: on PostgreSQL that locks it, so two disconnections at
      // once are taken one after the other and cannot both pass the "last way in" check.
      await this.#customerStore.bumpVersion(customerId, now, trx);
      const identities = await trx.selectFrom('identities').select('connection').where('customer_id', '=', customerId).execute();
      if (!identities.some((identity) => identity.connection === connection)) throw new DomainError('not_found', 404, 'No such connected account');
      const remaining = identities.filter((identity) => identity.connection !== connection).length;
      const credentials = await trx.selectFrom('credentials').select('type').where('customer_id', '=', customerId).where('type', 'in', ['password', 'passkey']).execute();
      if (credentials.length === 0 && remaining === 0) throw new DomainError('last_sign_in_method', 409, 'This is the only way to sign in you have set up');
      await trx.deleteFrom('identities').where('customer_id', '=', customerId).where('connection', '=', connection).execute();
      await this.#audit.append(trx, { action: 'identity.unlinked', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { connection } }, now);
    });
  }
}

function pendingKey(uid: string): string {
  return `${uid}:link`;
}
