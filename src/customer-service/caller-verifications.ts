import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import type { Customers } from '../customers/customers.ts';
import { conflict, DomainError, notFound } from '../errors/domain-error.ts';
import { OPERATOR, customerActor, type AuditLog } from '../events/audit-log.ts';
import type { CodeDelivery } from '../credentials/code-delivery.ts';
import type { Locale } from '../i18n/locale.ts';
import type { CallerVerificationsTable, Database } from '../store/schema.ts';

/** How long the customer has to read out the code or approve in their account. */
const VERIFICATION_TTL_MS = 10 * 60_000;

export interface CallerVerification {
  id: string;
  customerId: string;
  channel: CallerVerificationsTable['channel'];
  status: CallerVerificationsTable['status'];
  operatorId: string;
  agentId: string | null;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
}

/**
 * Customer service identifying a caller. An agent starts a verification; the customer proves it is
 * them by reading out a code sent to their *verified* e-mail address or phone, or by approving it
 * in their signed-in account. The agent only learns "verified" or not: the code is never in an
 * answer, and a wrong one is counted like any code (attempts per code and per address). Every
 * step is in the audit log under the operator's key and the agent's name, so it shows in the
 * customer's timeline.
 */
export class CallerVerifications implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'caller_verifications',
      columns: { id: 'plain', customer_id: 'caller_verifications', channel: 'plain', status: 'plain', operator_id: 'plain', agent_id: 'plain', created_at: 'plain', expires_at: 'plain', decided_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'caller_verifications', reason: 'each check by its channel, outcome and times; the code is never stored here (only its hash, among the codes, gone within minutes), and the operator\'s key and agent are staff' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #customers: Customers;
  readonly #delivery: CodeDelivery;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; customers: Customers; delivery: CodeDelivery; audit: AuditLog }) {
    this.#db = deps.db;
    this.#customers = deps.customers;
    this.#delivery = deps.delivery;
    this.#audit = deps.audit;
  }

  async start(input: { customerId: string; channel: CallerVerificationsTable['channel']; operatorId: string; agentId: string | null }, now = Date.now()): Promise<CallerVerification> {
    const customer = await this.#customers.findById(input.customerId);
    if (!customer) throw notFound('customer');
    if (customer.status !== 'active') throw conflict('account_disabled', 'The account is disabled');
    // A code goes only where the customer proved they receive it.
    const target = input.channel === 'email' ? (customer.emailVerifiedAt !== null ? customer.email : null) : input.channel === 'sms' ? (customer.phoneVerifiedAt !== null ? customer.phone : null) : 'portal';
    if (!target) throw conflict('no_verified_channel', `The customer has no verified ${input.channel === 'email' ? 'e-mail address' : 'phone number'}`);
    const row: CallerVerificationsTable = { id: randomUUID(), customer_id: customer.id, channel: input.channel, status: 'pending', operator_id: input.operatorId, agent_id: input.agentId, created_at: now, expires_at: now + VERIFICATION_TTL_MS, decided_at: null };
    const locale: Locale = customer.locale?.startsWith('sv') ? 'sv' : 'en';
    // A misused agent key cannot flood a customer's phone or inbox: the per-address send limit applies.
    if (input.channel !== 'portal') await this.#delivery.allowSend(input.channel, target);
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('caller_verifications').values(row).execute();
      if (input.channel !== 'portal') {
        await this.#delivery.sendWithin(trx, { purpose: 'caller_verification', flowId: row.id, channel: input.channel, target: target, customerId: customer.id, kind: 'caller_code', locale });
      }
      await this.#audit.append(trx, { action: 'caller_verification.started', actor: OPERATOR, subject: { type: 'customer', id: customer.id }, details: { verification: row.id, channel: input.channel, agent_id: input.agentId } }, now);
    });
    return present(row);
  }

  async get(id: string, now = Date.now()): Promise<CallerVerification> {
    const row = await this.#db.selectFrom('caller_verifications').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('verification');
    return present(row, now);
  }

  /** The code the caller read out, typed by the agent. */
  async check(id: string, code: string, ip: string, now = Date.now()): Promise<CallerVerification> {
    const verification = await this.get(id, now);
    if (verification.channel === 'portal') throw new DomainError('wrong_channel', 400, 'This verification is approved in the customer\'s account, not by code');
    if (verification.status !== 'pending') throw conflict('verification_decided', `The verification is ${verification.status}`);
    try {
      await this.#delivery.check(id, 'caller_verification', code, ip);
    } catch (error) {
      // Too many wrong codes end it: customer service starts again, which sends a new code.
      if (error instanceof DomainError && error.code === 'code_exhausted') await this.#decide(verification, 'failed', OPERATOR, now);
      throw error;
    }
    return this.#decide(verification, 'verified', OPERATOR, now);
  }

  /** Verifications waiting for this customer's answer in their account. */
  async pendingFor(customerId: string, now = Date.now()): Promise<CallerVerification[]> {
    const rows = await this.#db.selectFrom('caller_verifications').selectAll().where('customer_id', '=', customerId).where('channel', '=', 'portal').where('status', '=', 'pending').where('expires_at', '>', now).orderBy('created_at', 'desc').execute();
    return rows.map((row) => present(row, now));
  }

  /** The customer, signed in, approves or denies a verification customer service started. */
  async answer(customerId: string, id: string, approve: boolean, now = Date.now()): Promise<CallerVerification> {
    const verification = await this.get(id, now);
    if (verification.customerId !== customerId || verification.channel !== 'portal') throw notFound('verification');
    if (verification.status !== 'pending') throw conflict('verification_decided', `The verification is ${verification.status}`);
    return this.#decide(verification, approve ? 'verified' : 'denied', customerActor(customerId), now);
  }

  async #decide(verification: CallerVerification, status: 'verified' | 'failed' | 'denied', actor: typeof OPERATOR, now: number): Promise<CallerVerification> {
    return this.#db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('caller_verifications').set({ status, decided_at: now }).where('id', '=', verification.id).where('status', '=', 'pending').executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw conflict('verification_decided', 'The verification was decided meanwhile');
      await this.#audit.append(trx, { action: `caller_verification.${status}`, actor, subject: { type: 'customer', id: verification.customerId }, details: { verification: verification.id, channel: verification.channel, agent_id: verification.agentId } }, now);
      return { ...verification, status, decidedAt: now };
    });
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('caller_verifications').selectAll().where('customer_id', '=', customer.id).orderBy('created_at').orderBy('id').execute();
    return {
      caller_verifications: rows.map((row) => {
        const shown = present(row);
        return { id: shown.id, channel: shown.channel, status: shown.status, created_at: isoTime(row.created_at), expires_at: isoTime(row.expires_at), decided_at: isoTime(row.decided_at) };
      }),
    };
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('caller_verifications').where('customer_id', '=', customer.id).execute();
  }
}

function present(row: CallerVerificationsTable, now = Date.now()): CallerVerification {
  const expired = row.status === 'pending' && Number(row.expires_at) <= now;
  return {
    id: row.id,
    customerId: row.customer_id,
    channel: row.channel,
    status: expired ? 'expired' : row.status,
    operatorId: row.operator_id,
    agentId: row.agent_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
  };
}
