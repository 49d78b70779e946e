import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { GENESIS } from '../store/migrations/0003-audit-log.ts';
import { currentOperator } from '../operators/operator-context.ts';
import type { AuditLogTable, Database } from '../store/schema.ts';
import { isoTime, type CustomerDataHolder, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';

export interface Actor {
  type: AuditLogTable['actor_type'];
  id?: string | null;
}

export interface AuditEntry {
  action: string;
  actor: Actor;
  subject?: { type: string; id: string };
  /** Ids and outcomes only. Passwords, codes and tokens never go here. */
  details?: Record<string, string | number | boolean | null | string[]>;
}

/** How the chain broke, as a stable code (the console says it in the operator's language): an entry gone, one that does not follow its predecessor, one altered, or the newest ones removed. */
export const CHAIN_PROBLEMS = ['missing_entry', 'wrong_link', 'altered', 'newest_removed'] as const;
export type ChainProblem = (typeof CHAIN_PROBLEMS)[number];
export type VerifyReport = { ok: true; entries: number } | { ok: false; entries: number; broken_at: number; problem: ChainProblem; reason: string };

export const SYSTEM: Actor = { type: 'system' };
/** "The operator of this management call": the audit log writes who that is (`key:pvk_…`, `client:…`, `admin-key`). */
export const OPERATOR: Actor = { type: 'operator', id: 'admin-key' };
const operatorActor = (): Actor => {
  const operator = currentOperator();
  return operator ? { type: 'operator', id: operator.id } : OPERATOR;
};
export const customerActor = (id: string): Actor => ({ type: 'customer', id });

/**
 * The audit log as evidence: append-only, each entry hash-chained to the previous one (SHA-256 over
 * a canonical encoding), written in the transaction of the change it records. Appenders take the
 * one-row head in turn (an UPDATE locks it until commit on PostgreSQL; SQLite has one writer), so
 * the chain never forks. Removing, changing or reordering any entry breaks the chain at it.
 */
export class AuditLog implements CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'audit_log',
      columns: { seq: 'plain', at: 'plain', action: 'plain', actor_type: 'plain', actor_id: 'audit', subject_type: 'plain', subject_id: 'audit', details: 'audit', prev_hash: 'plain', hash: 'plain' },
      erasure: { rule: 'keep', reason: 'evidence of who did what (Art. 5(2) accountability); entries hold ids and field names, never profile values' },
      export: { rule: 'included', section: 'audit_entries', reason: 'the entries about the customer (their own, and those of their privacy requests) as stored: number, time, event, actor type, subject and details (ids and field names); left out: who acted for the group (an operator\'s key or account: staff) and the chain\'s hashes' },
    },
  ];
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Appends inside the caller's transaction; call it last, the head stays locked until commit. */
  async append(trx: Transaction<Database>, entry: AuditEntry, now = Date.now()): Promise<number> {
    const actor = entry.actor === OPERATOR ? operatorActor() : entry.actor;
    const head = await trx.updateTable('audit_head').set((eb) => ({ seq: eb('seq', '+', 1) })).where('id', '=', 1).returning(['seq', 'hash']).executeTakeFirstOrThrow();
    const row: Omit<AuditLogTable, 'hash'> = {
      seq: Number(head.seq),
      at: now,
      action: entry.action,
      actor_type: actor.type,
      actor_id: actor.id ?? null,
      subject_type: entry.subject?.type ?? null,
      subject_id: entry.subject?.id ?? null,
      details: canonicalJson(entry.details ?? {}),
      prev_hash: head.hash,
    };
    const hash = entryHash(row);
    await trx.insertInto('audit_log').values({ ...row, hash }).execute();
    await trx.updateTable('audit_head').set({ hash }).where('id', '=', 1).execute();
    return row.seq;
  }

  /** The chain's head: the last entry's number and hash (inside a transaction: as of its own appends). */
  async head(db: Kysely<Database> | Transaction<Database> = this.#db): Promise<{ seq: number; hash: string }> {
    const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    return { seq: Number(head.seq), hash: head.hash };
  }

  /** Appends in a transaction of its own (events that change nothing else: a failed sign-in). */
  record(entry: AuditEntry): Promise<number> {
    return this.#db.transaction().execute((trx) => this.append(trx, entry));
  }

  /** Re-computes the whole chain in order, in batches; names the first entry that does not fit. */
  async verify(batch = 1000): Promise<VerifyReport> {
    let previous = GENESIS;
    let expectedSeq = 1;
    let entries = 0;
    for (;;) {
      const rows = await this.#db.selectFrom('audit_log').selectAll().where('seq', '>=', expectedSeq).orderBy('seq').limit(batch).execute();
      for (const raw of rows) {
        const row = { ...raw, seq: Number(raw.seq), at: Number(raw.at) };
        if (row.seq !== expectedSeq) return { ok: false, entries, broken_at: expectedSeq, problem: 'missing_entry', reason: `entry ${expectedSeq} is missing` };
        if (row.prev_hash !== previous) return { ok: false, entries, broken_at: row.seq, problem: 'wrong_link', reason: 'does not follow the entry before it' };
        const { hash, ...rest } = row;
        if (entryHash(rest) !== hash) return { ok: false, entries, broken_at: row.seq, problem: 'altered', reason: 'its content does not match its hash' };
        previous = hash;
        expectedSeq++;
        entries++;
      }
      if (rows.length < batch) break;
    }
    const head = await this.#db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    if (Number(head.seq) !== entries || head.hash !== previous) {
      return { ok: false, entries, broken_at: entries + 1, problem: 'newest_removed', reason: 'the newest entries were removed (the head records more)' };
    }
    return { ok: true, entries };
  }

  /** The entries about the customer and about their privacy requests, oldest first (indexed by subject). */
  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db
      .selectFrom('audit_log')
      .select(['seq', 'at', 'action', 'actor_type', 'subject_type', 'subject_id', 'details'])
      .where((eb) =>
        eb.or([
          eb.and([eb('subject_type', '=', 'customer'), eb('subject_id', '=', customer.id)]),
          eb.and([eb('subject_type', '=', 'privacy_request'), eb('subject_id', 'in', eb.selectFrom('privacy_requests').select('id').where('customer_id', '=', customer.id))]),
        ]),
      )
      .orderBy('seq')
      .execute();
    return {
      audit_entries: rows.map((row) => ({ seq: Number(row.seq), at: isoTime(row.at), action: row.action, actor_type: row.actor_type, subject_type: row.subject_type, subject_id: row.subject_id, details: JSON.parse(row.details) as unknown })),
    };
  }

  /** A customer's entries, newest first (the timeline of issue 8 reads this). */
  forSubject(type: string, id: string, limit = 100): Promise<AuditLogTable[]> {
    return this.#db.selectFrom('audit_log').selectAll().where('subject_type', '=', type).where('subject_id', '=', id).orderBy('seq', 'desc').limit(limit).execute();
  }
}

function entryHash(row: Omit<AuditLogTable, 'hash'>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(row)).digest('hex')}`;
}

/** JSON with object keys sorted at every level: one encoding per value, so one hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
