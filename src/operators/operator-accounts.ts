import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { DomainError } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import type { Database, OperatorsTable } from '../store/schema.ts';
import { storedRole, type Role } from './operator-roles.ts';

/** Roles a person can hold in the console; `integration` is for other systems' keys only. */
export const CONSOLE_ROLES = ['admin', 'agent', 'privacy_officer'] as const satisfies readonly Role[];
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/** How long an invitation link is good for. */
export const INVITATION_TTL_MS = 24 * 3600_000;

export interface OperatorAccount {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  status: OperatorsTable['status'];
  createdAt: number;
  lastSignInAt: number | null;
}

/** What a sign-in needs to know of an operator (never shown). */
export interface OperatorSecrets {
  account: OperatorAccount;
  passwordHash: string | null;
  totpSecret: string | null;
  totpStep: number | null;
}

type Executor = Kysely<Database> | Transaction<Database>;

export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('base64url');

export function presentOperator(row: OperatorsTable): OperatorAccount {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: (JSON.parse(row.roles) as string[]).map(storedRole),
    status: row.status,
    createdAt: Number(row.created_at),
    lastSignInAt: row.last_sign_in_at === null ? null : Number(row.last_sign_in_at),
  };
}

/**
 * The people who run the console: their accounts (owner of `operators`) and invitations (owner of
 * `operator_invitations`). An operator is invited with roles, takes the single-use link within 24
 * hours and sets up a second factor there (operator-enrolment.ts); the last active admin cannot be
 * demoted or disabled, so the console always has someone who can invite.
 */
export class OperatorAccounts {
  readonly #db: Kysely<Database>;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; audit: AuditLog }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
  }

  /** A new operator, status `invited`, and the invitation's token (shown once, sent by mail by the caller in `trx`). */
  async invite(trx: Transaction<Database>, input: { email: string; name: string; roles: ConsoleRole[] }, now = Date.now()): Promise<{ operator: OperatorAccount; token: string }> {
    const id = crypto.randomUUID();
    const row: OperatorsTable = { id, email: input.email.toLowerCase(), name: input.name, roles: JSON.stringify(input.roles), status: 'invited', password_hash: null, totp_secret: null, totp_step: null, created_at: now, updated_at: now, last_sign_in_at: null };
    try {
      await trx.insertInto('operators').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('operator_exists', 409, 'An operator with this e-mail address exists');
      throw error;
    }
    const token = await this.#newInvitation(trx, id, now);
    await this.#audit.append(trx, { action: 'operator.invited', actor: OPERATOR, subject: { type: 'operator', id }, details: { roles: input.roles } }, now);
    return { operator: presentOperator(row), token };
  }

  /** A new link for an operator who has not taken theirs (earlier links stop working). */
  async reinvite(trx: Transaction<Database>, id: string, now = Date.now()): Promise<{ operator: OperatorAccount; token: string }> {
    const operator = await this.get(id, trx);
    if (operator.status !== 'invited') throw new DomainError('operator_not_invited', 409, 'This operator has already taken their invitation');
    await trx.deleteFrom('operator_invitations').where('operator_id', '=', id).execute();
    const token = await this.#newInvitation(trx, id, now);
    await this.#audit.append(trx, { action: 'operator.reinvited', actor: OPERATOR, subject: { type: 'operator', id } }, now);
    return { operator, token };
  }

  async #newInvitation(trx: Transaction<Database>, operatorId: string, now: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await trx.insertInto('operator_invitations').values({ token_hash: tokenHash(token), operator_id: operatorId, created_at: now, expires_at: now + INVITATION_TTL_MS, used_at: null }).execute();
    return token;
  }

  /** The invited operator a live link is for (not consumed). */
  async invited(token: string, now = Date.now()): Promise<OperatorAccount | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const row = await this.#db
      .selectFrom('operator_invitations')
      .innerJoin('operators', 'operators.id', 'operator_invitations.operator_id')
      .selectAll('operators')
      .where('token_hash', '=', tokenHash(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .where('operators.status', '=', 'invited')
      .executeTakeFirst();
    return row && presentOperator(row);
  }

  /**
   * Takes the link (once: a second use finds it used) and makes the operator active with the
   * credentials given; in the caller's transaction, with the second factor stored by its owner.
   */
  async accept(trx: Transaction<Database>, token: string, credentials: { passwordHash: string | null; totpSecret: string | null; totpStep: number | null }, now = Date.now()): Promise<OperatorAccount> {
    const taken = await trx
      .updateTable('operator_invitations')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('operator_id')
      .executeTakeFirst();
    if (!taken) throw new DomainError('invitation_invalid', 400, 'This invitation link has expired or was used');
    const updated = await trx
      .updateTable('operators')
      .set({ status: 'active', password_hash: credentials.passwordHash, totp_secret: credentials.totpSecret, totp_step: credentials.totpStep, updated_at: now })
      .where('id', '=', taken.operator_id)
      .where('status', '=', 'invited')
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new DomainError('invitation_invalid', 400, 'This invitation link has expired or was used');
    await this.#audit.append(trx, { action: 'operator.enrolled', actor: { type: 'operator', id: `operator:${updated.id}` }, subject: { type: 'operator', id: updated.id }, details: { second_factor: credentials.totpSecret ? 'totp' : 'passkey' } }, now);
    return presentOperator(updated);
  }

  async list(limit: number, after?: string): Promise<OperatorAccount[]> {
    const rows = await this.#db
      .selectFrom('operators')
      .selectAll()
      .$if(after !== undefined, (query) => query.where('id', '>', after!))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(presentOperator);
  }

  async get(id: string, db: Executor = this.#db): Promise<OperatorAccount> {
    const row = await db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new DomainError('not_found', 404, 'No such operator');
    return presentOperator(row);
  }

  /** Operators' names by `operator:{id}` (what the console shows for an actor id); other ids are left out. */
  async names(actorIds: readonly string[]): Promise<Map<string, string>> {
    const ids = [...new Set(actorIds.filter((actor) => actor.startsWith('operator:')).map((actor) => actor.slice('operator:'.length)))].filter((id) => /^[0-9a-f-]{36}$/.test(id));
    if (ids.length === 0) return new Map();
    const rows = await this.#db.selectFrom('operators').select(['id', 'name']).where('id', 'in', ids).execute();
    return new Map(rows.map((row) => [`operator:${row.id}`, row.name]));
  }

  /** An active operator's sign-in material, by e-mail address. */
  async secretsByEmail(email: string): Promise<OperatorSecrets | undefined> {
    const row = await this.#db.selectFrom('operators').selectAll().where('email', '=', email.toLowerCase()).where('status', '=', 'active').executeTakeFirst();
    return row && { account: presentOperator(row), passwordHash: row.password_hash, totpSecret: row.totp_secret, totpStep: row.totp_step === null ? null : Number(row.totp_step) };
  }

  async secretsById(id: string): Promise<OperatorSecrets | undefined> {
    const row = await this.#db.selectFrom('operators').selectAll().where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
    return row && { account: presentOperator(row), passwordHash: row.password_hash, totpSecret: row.totp_secret, totpStep: row.totp_step === null ? null : Number(row.totp_step) };
  }

  /** Records a TOTP step as used, unless a later one was (a code is good once, also across nodes). */
  async useTotpStep(id: string, step: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('operators')
      .set({ totp_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_step', 'is', null), eb('totp_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async signedIn(trx: Transaction<Database>, id: string, now = Date.now()): Promise<void> {
    await trx.updateTable('operators').set({ last_sign_in_at: now }).where('id', '=', id).execute();
  }

  /** New roles and/or status; refuses to leave the console without an active admin. */
  async change(trx: Transaction<Database>, id: string, change: { roles?: ConsoleRole[]; status?: 'active' | 'disabled'; name?: string }, now = Date.now()): Promise<OperatorAccount> {
    const before = await this.get(id, trx);
    if (change.status === 'active' && before.status === 'invited') throw new DomainError('operator_not_enrolled', 409, 'An invited operator becomes active by taking the invitation');
    const roles = change.roles ?? before.roles;
    const status = change.status ?? before.status;
    if (before.roles.includes('admin') && before.status === 'active' && (!roles.includes('admin') || status !== 'active') && (await this.#activeAdmins(trx)) <= 1) {
      throw new DomainError('last_admin', 409, 'The last active admin cannot be demoted or disabled');
    }
    const updated = await trx
      .updateTable('operators')
      .set({ roles: JSON.stringify(roles), status, ...(change.name !== undefined ? { name: change.name } : {}), updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.#audit.append(trx, { action: 'operator.changed', actor: OPERATOR, subject: { type: 'operator', id }, details: { roles_before: before.roles, roles, status_before: before.status, status } }, now);
    return presentOperator(updated);
  }

  async #activeAdmins(trx: Transaction<Database>): Promise<number> {
    const rows = await trx.selectFrom('operators').select('roles').where('status', '=', 'active').execute();
    return rows.filter((row) => (JSON.parse(row.roles) as string[]).includes('admin')).length;
  }

  /**
   * The operator a workforce sign-in proves (the company's identity provider vouches for the
   * address; its groups give the roles, every time): created on first sign-in, an invitation
   * taken, roles brought in line. A disabled operator stays out (403 `operator_disabled`).
   */
  async workforce(trx: Transaction<Database>, input: { email: string; name: string; roles: ConsoleRole[] }, now = Date.now()): Promise<OperatorAccount> {
    const email = input.email.toLowerCase();
    const found = await trx.selectFrom('operators').selectAll().where('email', '=', email).executeTakeFirst();
    if (found?.status === 'disabled') throw new DomainError('operator_disabled', 403, 'This operator is disabled');
    const actor = { type: 'system' as const, id: 'workforce' };
    if (!found) {
      const row: OperatorsTable = { id: crypto.randomUUID(), email, name: input.name, roles: JSON.stringify(input.roles), status: 'active', password_hash: null, totp_secret: null, totp_step: null, created_at: now, updated_at: now, last_sign_in_at: null };
      await trx.insertInto('operators').values(row).execute();
      await this.#audit.append(trx, { action: 'operator.provisioned', actor, subject: { type: 'operator', id: row.id }, details: { roles: input.roles } }, now);
      return presentOperator(row);
    }
    const before = presentOperator(found);
    if (before.status === 'active' && JSON.stringify([...before.roles].sort()) === JSON.stringify([...input.roles].sort())) return before;
    const updated = await trx.updateTable('operators').set({ roles: JSON.stringify(input.roles), status: 'active', updated_at: now }).where('id', '=', found.id).returningAll().executeTakeFirstOrThrow();
    await trx.deleteFrom('operator_invitations').where('operator_id', '=', found.id).execute();
    await this.#audit.append(trx, { action: 'operator.changed', actor, subject: { type: 'operator', id: found.id }, details: { roles_before: before.roles, roles: input.roles, status_before: before.status, status: 'active' } }, now);
    return presentOperator(updated);
  }

  /** Expired, untaken invitations (cleanup). */
  async deleteExpiredInvitations(now = Date.now()): Promise<number> {
    const result = await this.#db.deleteFrom('operator_invitations').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** `secret rotate` (ops/secret-rotation.ts): an operator's TOTP secret sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealOperatorTotpSecret(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('operators').set({ totp_secret: sealed }).where('id', '=', id).where('totp_secret', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
