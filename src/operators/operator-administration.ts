import type { Kysely } from 'kysely';
import type { Messenger } from '../messaging/messenger.ts';
import type { Database } from '../store/schema.ts';
import { INVITATION_TTL_MS, type ConsoleRole, type OperatorAccount, type OperatorAccounts } from './operator-accounts.ts';
import type { OperatorSessions } from './operator-sessions.ts';
import { renderInvitationMail } from './invitation-mail.ts';

export interface Invitation {
  operator: OperatorAccount;
  /** The single-use link (shown once to whoever invited; also sent by mail). */
  link: string;
}

/**
 * What an admin does with operators (the `/api/v1/operators` operations, the console's operators
 * page and `portvakt operators create`): invite by e-mail, invite again, change roles or disable.
 * A change of roles or a disable ends the operator's sessions in the same transaction, so no page
 * keeps showing what the new roles may not see.
 */
export class OperatorAdministration {
  readonly #db: Kysely<Database>;
  readonly #accounts: OperatorAccounts;
  readonly #sessions: OperatorSessions;
  readonly #messenger: Messenger;
  readonly #issuer: string;
  readonly #product: string;

  constructor(deps: { db: Kysely<Database>; accounts: OperatorAccounts; sessions: OperatorSessions; messenger: Messenger; issuer: string; product: string }) {
    this.#db = deps.db;
    this.#accounts = deps.accounts;
    this.#sessions = deps.sessions;
    this.#messenger = deps.messenger;
    this.#issuer = deps.issuer;
    this.#product = deps.product;
  }

  invite(input: { email: string; name: string; roles: ConsoleRole[] }, now = Date.now()): Promise<Invitation> {
    return this.#db.transaction().execute(async (trx) => {
      const { operator, token } = await this.#accounts.invite(trx, input, now);
      return this.#send(trx, operator, token, now);
    });
  }

  reinvite(id: string, now = Date.now()): Promise<Invitation> {
    return this.#db.transaction().execute(async (trx) => {
      const { operator, token } = await this.#accounts.reinvite(trx, id, now);
      return this.#send(trx, operator, token, now);
    });
  }

  change(id: string, change: { roles?: ConsoleRole[]; status?: 'active' | 'disabled'; name?: string }, now = Date.now()): Promise<OperatorAccount> {
    return this.#db.transaction().execute(async (trx) => {
      const before = await this.#accounts.get(id, trx);
      const after = await this.#accounts.change(trx, id, change, now);
      const rolesChanged = JSON.stringify([...before.roles].sort()) !== JSON.stringify([...after.roles].sort());
      if (rolesChanged || after.status !== 'active') await this.#sessions.endAll(trx, id);
      return after;
    });
  }

  list(limit: number, after?: string): Promise<OperatorAccount[]> {
    return this.#accounts.list(limit, after);
  }

  get(id: string): Promise<OperatorAccount> {
    return this.#accounts.get(id);
  }

  async #send(trx: Parameters<Messenger['sendRendered']>[0], operator: OperatorAccount, token: string, now: number): Promise<Invitation> {
    const link = `${this.#issuer}/console/invitation/${token}`;
    await this.#messenger.sendRendered(trx, renderInvitationMail({ to: operator.email, name: operator.name, roles: operator.roles, link, product: this.#product }), now + INVITATION_TTL_MS, now);
    return { operator, link };
  }
}
