import type { Kysely } from 'kysely';
import { DomainError } from '../errors/domain-error.ts';
import { customerActor, type AuditLog } from '../events/audit-log.ts';
import type { FlowState, InteractionFlowStore } from '../flows/interaction-flow.store.ts';
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
export class IdentityLinks {
  readonly #db: Kysely<Database>;
  readonly #flows: InteractionFlowStore;
  readonly #connections: Connections;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; flows: InteractionFlowStore; connections: Connections; audit: AuditLog }) {
    this.#db = deps.db;
    this.#flows = deps.flows;
    this.#connections = deps.connections;
    this.#audit = deps.audit;
  }

  offer(uid: string, link: Omit<PendingLink, 'state'>): Promise<void> {
    return this.#flows.set(pendingKey(uid), { state: 'upstream_link', ...link });
  }

  async pending(uid: string): Promise<PendingLink | undefined> {
    const flow = await this.#flows.get(pendingKey(uid));
    return flow?.state === 'upstream_link' ? flow : undefined;
  }

  /**
   * A sign-in completes: if an identity waits and the customer who proved themselves holds its
   * address, it is linked (once; names the account lacks are taken from it). Anyone else signs in
   * as themselves and the identity is dropped.
   */
  async settle(uid: string, customerId: string, now = Date.now()): Promise<void> {
    const link = await this.pending(uid);
    if (!link || !(await this.#flows.advance(pendingKey(uid), 'upstream_link', null))) return;
    const connection = await this.#connections.get(link.connection).catch(() => undefined);
    if (!connection?.enabled) return;
    await this.#db.transaction().execute(async (trx) => {
      const customer = await trx
        .selectFrom('customers as c')
        .innerJoin('customer_emails as e', 'e.customer_id', 'c.id')
        .select(['e.email', 'c.given_name', 'c.family_name'])
        .where('c.id', '=', customerId)
        .executeTakeFirst();
      if (customer?.email !== link.email) return;
      const taken = await trx.selectFrom('identities').select('customer_id').where('connection', '=', link.connection).where('subject', '=', link.subject).executeTakeFirst();
      if (taken) return;
      await trx.insertInto('identities').values({ connection: link.connection, subject: link.subject, customer_id: customerId, created_at: now, last_used_at: now }).execute();
      const names = { ...(!customer.given_name && link.givenName ? { given_name: link.givenName } : {}), ...(!customer.family_name && link.familyName ? { family_name: link.familyName } : {}) };
      if (Object.keys(names).length > 0) await trx.updateTable('customers').set((eb) => ({ ...names, version: eb('version', '+', 1), updated_at: now })).where('id', '=', customerId).execute();
      await this.#audit.append(trx, { action: 'identity.linked', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { connection: link.connection, proven_by_sign_in: true } }, now);
    });
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
      const identities = await trx.selectFrom('identities').select('connection').where('customer_id', '=', customerId).execute();
      if (!identities.some((identity) => identity.connection === connection)) throw new DomainError('not_found', 404, 'No such connected account');
      const credentials = await trx.selectFrom('credentials').select('type').where('customer_id', '=', customerId).where('type', 'in', ['password', 'passkey']).execute();
      if (credentials.length === 0 && identities.length === 1) throw new DomainError('last_sign_in_method', 409, 'This is the only way to sign in you have set up');
      await trx.deleteFrom('identities').where('customer_id', '=', customerId).where('connection', '=', connection).execute();
      await this.#audit.append(trx, { action: 'identity.unlinked', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { connection } }, now);
    });
  }
}

function pendingKey(uid: string): string {
  return `${uid}:link`;
}
