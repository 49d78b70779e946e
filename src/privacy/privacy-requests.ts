import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { conflict, notFound } from '../errors/domain-error.ts';
import { canonicalJson, type Actor, type AuditLog } from '../events/audit-log.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import type { Dialect } from '../store/database.ts';
import type { Database, PrivacyRequestsTable, PrivacyTaskState, PrivacyTasksTable } from '../store/schema.ts';
import type { Identifier } from './data-system.schemas.ts';
import type { DataSystem, DataSystems } from './data-systems.ts';
import type { PrivacyExports } from './privacy-exports.ts';
import { buildReport, type PrivacyReport } from './privacy-report.ts';
import { OPEN_TASK_STATES, type PrivacyTasks } from './privacy-tasks.ts';
import { addMonths, retentionEnds } from './retention.ts';
import type { Receipt } from './system-contract.ts';
import { OPEN_REQUEST_STATES, type PrivacyRequest } from './privacy-request.ts';
import { isoTime, type CustomerDataHolder, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';


/**
 * Privacy requests (erasure, export) and their state machine: received → verified → in_progress →
 * completed | completed_with_exceptions | failed. Verifying fans the request out as one task per
 * system on the data map; a request settles once no task is open, and its evidence report is
 * written then, with the audit chain's head. Due one month after receipt (GDPR Art. 12(3)),
 * extended once by up to two months with a reason.
 */
export class PrivacyRequests implements CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'privacy_requests',
      columns: { id: 'plain', kind: 'plain', customer_id: 'privacy_requests', state: 'plain', source: 'plain', received_at: 'plain', verified_at: 'plain', verification: 'privacy_requests', due_at: 'plain', extension_reason: 'plain', completed_at: 'plain', report: 'privacy_requests', version: 'plain', overdue_announced_at: 'plain' },
      erasure: { rule: 'keep', reason: 'evidence that the request was received and answered, and when (Art. 5(2), 12(3))' },
      export: { rule: 'included', section: 'privacy_requests', reason: 'each request by its kind, state, how it was verified and its dates; the report is left out: it repeats the tasks (privacy_tasks) for the operator, with the audit chain\'s head' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #systems: DataSystems;
  readonly #tasks: PrivacyTasks;
  readonly #audit: AuditLog;
  readonly #dialect: Dialect;
  readonly #exports: PrivacyExports;
  readonly #events: EventPublisher;
  #onWork: () => void = () => {};

  constructor(deps: { db: Kysely<Database>; dialect: Dialect; systems: DataSystems; tasks: PrivacyTasks; audit: AuditLog; exports: PrivacyExports; events: EventPublisher }) {
    this.#db = deps.db;
    this.#events = deps.events;
    this.#exports = deps.exports;
    this.#dialect = deps.dialect;
    this.#systems = deps.systems;
    this.#tasks = deps.tasks;
    this.#audit = deps.audit;
  }

  /** The worker wakes when tasks are created or revived. */
  onWork(listener: () => void): void {
    this.#onWork = listener;
  }

  /**
   * A new request. With `verification` (a fresh sign-in by the customer, or what the operator
   * checked) it is verified and fanned out at once; without, it waits for `verify`.
   */
  async create(input: { customerId: string; kind: PrivacyRequest['kind']; source: PrivacyRequest['source']; verification?: string | undefined }, actor: Actor, now = Date.now()): Promise<PrivacyRequest> {
    const id = `prq_${crypto.randomUUID()}`;
    await this.#db.transaction().execute(async (trx) => {
      const customer = await trx.selectFrom('customers').select('id').where('id', '=', input.customerId).executeTakeFirst();
      if (!customer) throw notFound('customer');
      const already = await trx.selectFrom('privacy_requests').select('id').where('customer_id', '=', input.customerId).where('kind', '=', input.kind).where('state', 'in', OPEN_REQUEST_STATES).executeTakeFirst();
      if (already) throw conflict('request_open', `The customer already has an open ${input.kind} request: ${already.id}`);
      // The partial unique index (one open request per customer and kind) settles a race between two nodes.
      await trx
        .insertInto('privacy_requests')
        .values({ id, kind: input.kind, customer_id: input.customerId, state: 'received', source: input.source, received_at: now, verified_at: null, verification: null, due_at: addMonths(now, 1), extension_reason: null, completed_at: null, report: null, version: 1 })
        .execute()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? conflict('request_open', `The customer already has an open ${input.kind} request`) : error;
        });
      await this.#events.publish(trx, { type: 'privacy.request.received', customerId: input.customerId, data: { request_id: id, kind: input.kind, source: input.source } }, now);
      await this.#audit.append(trx, { action: `privacy_request.received`, actor, subject: { type: 'customer', id: input.customerId }, details: { request_id: id, kind: input.kind, source: input.source } }, now);
      if (input.verification) await this.#verify(trx, id, input.verification, actor, now);
    });
    if (input.verification) this.#onWork();
    return this.get(id);
  }

  async verify(id: string, verification: string, actor: Actor, now = Date.now()): Promise<PrivacyRequest> {
    await this.#db.transaction().execute((trx) => this.#verify(trx, id, verification, actor, now));
    this.#onWork();
    return this.get(id);
  }

  /** Verified, and one task per system: delete, restrict (a legal hold) or export; manual systems wait for an operator. */
  async #verify(trx: Transaction<Database>, id: string, verification: string, actor: Actor, now: number): Promise<void> {
    const request = await this.#locked(trx, id);
    if (request.state !== 'received') throw conflict('wrong_state', `The request is ${request.state}, not received`);
    const systems = await this.#systems.list(trx);
    const known = await this.#identifiersOf(trx, request.customer_id);
    for (const system of systems) {
      const taskId = `ptk_${crypto.randomUUID()}`;
      // Each system is told who the customer is by what it keys customers by; with none of those, it is not told at all.
      const identifiers = system.access === 'builtin' ? { reference: request.customer_id } : pick(known(system.key), system.identifiedBy);
      const identified = Object.keys(identifiers).length > 0;
      const state: PrivacyTaskState = !identified ? 'not_identified' : system.access === 'manual' ? 'waiting_operator' : 'pending';
      await this.#tasks.add(trx, {
        id: taskId,
        request_id: id,
        system: system.key,
        access: system.access,
        mode: modeFor(request.kind, system),
        reference: identifiers.reference ?? null,
        identifiers: identified && system.access !== 'builtin' ? JSON.stringify(identifiers) : null,
        categories: JSON.stringify(system.categories),
        state,
        attempts: 0,
        next_attempt_at: now,
        claimed_until: 0,
        last_error: identified ? null : `the customer has none of the identifiers this system keys customers by (${system.identifiedBy.join(', ')})`,
        receipt: null,
        created_at: now,
        completed_at: identified ? null : now,
      });
      if (state !== 'pending') await this.announceTask(trx, { id: taskId, request_id: id, system: system.key, state }, request.customer_id, now);
    }
    await this.#transition(trx, request, { state: 'in_progress', verified_at: now, verification: verification.slice(0, 500) });
    await this.#events.publish(trx, { type: 'privacy.request.verified', customerId: request.customer_id, data: { request_id: id, kind: request.kind } }, now);
    await this.#audit.append(trx, { action: 'privacy_request.verified', actor, subject: { type: 'customer', id: request.customer_id }, details: { request_id: id, systems: systems.map((system) => system.key) } }, now);
  }

  /** What the customer can be known by in each system: their reference there, their e-mail address and phone number. */
  async #identifiersOf(trx: Transaction<Database>, customerId: string): Promise<(system: string) => Identifiers> {
    const references = new Map((await trx.selectFrom('customer_references').select(['system', 'reference']).where('customer_id', '=', customerId).execute()).map((row) => [row.system, row.reference]));
    const email = await trx.selectFrom('customer_emails').select('email').where('customer_id', '=', customerId).orderBy('created_at').executeTakeFirst();
    const phone = await trx.selectFrom('customer_phones').select('phone').where('customer_id', '=', customerId).orderBy('created_at').executeTakeFirst();
    return (system) => ({ ...(references.has(system) ? { reference: references.get(system)! } : {}), ...(email ? { email: email.email } : {}), ...(phone ? { phone: phone.phone } : {}) });
  }

  /**
   * A task that waits on a person (an operator's manual task, a dead task, a system not told who
   * the customer is) is published as `privacy.task.waiting|dead|not_identified`, in the
   * transaction that put it there when there is one.
   */
  async announceTask(trx: Transaction<Database> | undefined, task: Pick<PrivacyTasksTable, 'id' | 'request_id' | 'system' | 'state'>, customerId?: string, now = Date.now()): Promise<void> {
    const type = task.state === 'waiting_operator' ? 'privacy.task.waiting' : task.state === 'dead' ? 'privacy.task.dead' : task.state === 'not_identified' ? 'privacy.task.not_identified' : undefined;
    if (!type) return;
    const publish = async (tx: Transaction<Database>) => {
      const owner = customerId ?? (await tx.selectFrom('privacy_requests').select('customer_id').where('id', '=', task.request_id).executeTakeFirst())?.customer_id ?? null;
      await this.#events.publish(tx, { type, customerId: owner, data: { request_id: task.request_id, task_id: task.id, system: task.system, state: task.state } }, now);
    };
    if (trx) await publish(trx);
    else await this.#db.transaction().execute(publish);
  }

  /** A claimed task of a (now) manual system waits for an operator, announced in the same transaction. */
  async awaitOperator(task: PrivacyTasksTable): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      if (await this.#tasks.awaitOperator(task, trx)) await this.announceTask(trx, { ...task, state: 'waiting_operator' });
    });
  }

  /** A claimed task's attempt failed: retried later, or dead (announced in the same transaction, and the request settles). */
  async taskFailed(task: PrivacyTasksTable, reason: string): Promise<'retry' | 'dead' | 'gone'> {
    const outcome = await this.#db.transaction().execute(async (trx) => {
      const result = await this.#tasks.failed(task, reason, trx);
      if (result === 'dead') await this.announceTask(trx, { ...task, state: 'dead' });
      return result;
    });
    if (outcome === 'dead') await this.settle(task.request_id);
    return outcome;
  }

  /**
   * Open requests past their due date, each published once per due date as
   * `privacy.request.overdue` (an extension gives a new due date, announced again if it passes).
   */
  async announceOverdue(limit: number, now = Date.now()): Promise<number> {
    const due = await this.#db.selectFrom('privacy_requests').select(['id', 'customer_id', 'kind', 'due_at']).where('state', 'in', OPEN_REQUEST_STATES).where('due_at', '<', now).where('overdue_announced_at', 'is', null).limit(limit).execute();
    let announced = 0;
    for (const request of due) {
      await this.#db.transaction().execute(async (trx) => {
        const claimed = await trx.updateTable('privacy_requests').set({ overdue_announced_at: now }).where('id', '=', request.id).where('overdue_announced_at', 'is', null).executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return;
        announced += 1;
        await this.#events.publish(trx, { type: 'privacy.request.overdue', customerId: request.customer_id, data: { request_id: request.id, kind: request.kind, due_at: new Date(Number(request.due_at)).toISOString() } }, now);
      });
    }
    return announced;
  }

  /** Once, by one or two months, with the reason the customer is told (Art. 12(3)). */
  async extend(id: string, months: 1 | 2, reason: string, actor: Actor, now = Date.now()): Promise<PrivacyRequest> {
    await this.#db.transaction().execute(async (trx) => {
      const request = await this.#locked(trx, id);
      if (!OPEN_REQUEST_STATES.includes(request.state)) throw conflict('wrong_state', `The request is ${request.state}`);
      if (request.extension_reason !== null) throw conflict('already_extended', 'A request can be extended once, by two months at most');
      await this.#transition(trx, request, { due_at: addMonths(Number(request.received_at), 1 + months), extension_reason: reason, overdue_announced_at: null });
      await this.#audit.append(trx, { action: 'privacy_request.extended', actor, subject: { type: 'customer', id: request.customer_id }, details: { request_id: id, months } }, now);
    });
    return this.get(id);
  }

  /** An operator confirms a manual task: what was done, from the system's checklist. */
  async confirmManual(id: string, taskId: string, receipt: Receipt & { confirmed_by: string }, actor: Actor, now = Date.now()): Promise<void> {
    const task = await this.#tasks.get(taskId);
    if (!task || task.request_id !== id) throw notFound('task');
    if (task.state !== 'waiting_operator') throw conflict('wrong_state', `The task is ${task.state}, not waiting for an operator`);
    if (!(await this.recordReceipt(task, { ...receipt, request_id: id }, actor, now))) throw conflict('wrong_state', 'The task was completed meanwhile');
  }

  /**
   * A system's receipt for its task (from the worker, a callback, or an operator), in one
   * transaction with its audit entry; a restriction under a legal hold schedules the final
   * erasure for the day the hold ends. Then the request settles if that was its last open task.
   * False when the task was not open (a replayed callback, or done already): nothing changes.
   */
  async recordReceipt(task: PrivacyTasksTable, receipt: Receipt & { confirmed_by?: string }, actor: Actor, now = Date.now()): Promise<boolean> {
    // What an export brought back is sealed apart; the receipt keeps only that there was some.
    const { export: answered, ...kept } = receipt;
    const exported = task.mode === 'export' ? answered : undefined;
    const stored = answered === undefined ? receipt : { ...kept, exported: exported !== undefined };
    const recorded = await this.#db.transaction().execute(async (trx) => {
      if (!(await this.#tasks.complete(task.id, stored, trx, now))) return false;
      if (exported !== undefined) await this.#tasks.storeExportData(trx, task.id, this.#exports.sealTaskData(task.id, exported));
      let finalErasure: number | undefined;
      // A legal hold (restrict), or any data a system says it keeps until a date: asked again then.
      const keptUntil = receipt.retained.some((kept) => kept.until !== undefined);
      if (task.mode === 'restrict' || (task.mode === 'delete' && keptUntil)) {
        const request = await this.#locked(trx, task.request_id);
        const system = await this.#systems.get(task.system, trx).catch(() => undefined);
        const ruleEnds = system?.retention ? retentionEnds(system.retention, Number(request.received_at)) : now;
        finalErasure = Math.max(ruleEnds, ...receipt.retained.map((kept) => (kept.until ? Date.parse(`${kept.until}T00:00:00Z`) : 0)));
        await this.#tasks.add(trx, { ...task, id: `ptk_${crypto.randomUUID()}`, mode: 'delete', state: 'scheduled', attempts: 0, next_attempt_at: finalErasure, claimed_until: 0, last_error: null, receipt: null, created_at: now, completed_at: null });
      }
      await this.#audit.append(
        trx,
        {
          action: 'privacy_task.completed',
          actor,
          subject: { type: 'privacy_request', id: task.request_id },
          details: { task_id: task.id, system: task.system, mode: task.mode, deleted: receipt.deleted, retained: receipt.retained.map((kept) => kept.category), final_erasure: finalErasure === undefined ? null : new Date(finalErasure).toISOString() },
        },
        now,
      );
      return true;
    });
    if (recorded) await this.settle(task.request_id);
    return recorded;
  }

  /** An operator's retry of a dead task; a failed request is in progress again. */
  async retryTask(id: string, taskId: string, actor: Actor, now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const request = await this.#locked(trx, id);
      if (!(await this.#tasks.revive(id, taskId, trx, now))) throw conflict('not_dead', 'Only a dead task of this request can be retried');
      if (request.state === 'failed') await this.#transition(trx, request, { state: 'in_progress', completed_at: null, report: null });
      await this.#audit.append(trx, { action: 'privacy_task.retried', actor, subject: { type: 'privacy_request', id }, details: { task_id: taskId } }, now);
    });
    this.#onWork();
  }

  /**
   * Completes the request once no task is open: failed if a task is dead, completed with
   * exceptions if a system keeps data (a legal hold), completed otherwise. The report and the
   * audit entry that carries its hash are written in one transaction; the report names the chain's
   * head after that entry. Safe to call any number of times from any node.
   */
  async settle(id: string, now = Date.now()): Promise<PrivacyRequest['state'] | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const request = await this.#locked(trx, id);
      if (request.state !== 'in_progress') return undefined;
      const tasks = await this.#tasks.forRequest(id, trx);
      if (tasks.some((task) => OPEN_TASK_STATES.includes(task.state))) return undefined;
      const receipts = tasks.map((task) => (task.receipt ? (JSON.parse(task.receipt) as Receipt) : undefined));
      const state: PrivacyRequest['state'] = tasks.some((task) => task.state === 'dead')
        ? 'failed'
        : tasks.some((task, i) => task.state === 'not_identified' || task.mode === 'restrict' || (task.access !== 'builtin' && (receipts[i]?.retained.length ?? 0) > 0))
          ? 'completed_with_exceptions'
          : 'completed';
      const report = await this.#report(trx, { ...request, state, completed_at: now }, tasks);
      const reportHash = `sha256:${createHash('sha256').update(canonicalJson(report)).digest('hex')}`;
      await this.#events.publish(trx, { type: `privacy.request.${state}`, customerId: request.customer_id, data: { request_id: id, kind: request.kind, report_hash: reportHash } }, now);
      await this.#audit.append(trx, { action: `privacy_request.${state}`, actor: { type: 'system' }, subject: { type: 'customer', id: request.customer_id }, details: { request_id: id, report_hash: reportHash } }, now);
      report.audit = await this.#audit.head(trx);
      await this.#transition(trx, request, { state, completed_at: now, report: JSON.stringify(report) });
      if (request.kind === 'export' && state !== 'failed') await this.#exports.assemble(trx, request, tasks, new Map(report.systems.map((entry) => [entry.system, entry.name])), now);
      return state;
    });
  }

  /** Requests whose tasks are all finished but which did not settle (a node stopped in between). */
  async unsettled(limit: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('privacy_requests as r')
      .select('r.id')
      .where('r.state', '=', 'in_progress')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('privacy_tasks as t').select(sql`1`.as('one')).whereRef('t.request_id', '=', 'r.id').where('t.state', 'in', OPEN_TASK_STATES))))
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  async get(id: string): Promise<PrivacyRequest> {
    const request = await this.#db.selectFrom('privacy_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (!request) throw notFound('privacy request');
    return request;
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('privacy_requests').selectAll().where('customer_id', '=', customer.id).orderBy('received_at').orderBy('id').execute();
    return {
      privacy_requests: rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        state: row.state,
        source: row.source,
        verification: row.verification,
        received_at: isoTime(row.received_at),
        verified_at: isoTime(row.verified_at),
        due_at: isoTime(row.due_at),
        extension_reason: row.extension_reason,
        completed_at: isoTime(row.completed_at),
      })),
    };
  }

  tasks(id: string): Promise<PrivacyTasksTable[]> {
    return this.#tasks.forRequest(id);
  }

  /** Newest first; `overdue`: still open past the due date (the operator's view). */
  async list(filter: { overdue?: boolean | undefined; state?: PrivacyRequest['state'] | undefined; kind?: PrivacyRequest['kind'] | undefined; customerId?: string | undefined; before?: string | undefined; limit: number }, now = Date.now()): Promise<PrivacyRequest[]> {
    let query = this.#db.selectFrom('privacy_requests').selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
    if (filter.overdue) query = query.where('state', 'in', OPEN_REQUEST_STATES).where('due_at', '<', now);
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
    if (filter.before) {
      const cursor = await this.get(filter.before);
      const at = Number(cursor.received_at);
      query = query.where((eb) => eb.or([eb('received_at', '<', at), eb.and([eb('received_at', '=', at), eb('id', '<', cursor.id)])]));
    }
    return query.execute();
  }

  async #report(trx: Transaction<Database>, request: PrivacyRequest, tasks: PrivacyTasksTable[]): Promise<PrivacyReport> {
    return buildReport(request, tasks, new Map((await this.#systems.list(trx)).map((system) => [system.key, system.name])));
  }

  async #locked(trx: Transaction<Database>, id: string): Promise<PrivacyRequest> {
    // FOR UPDATE on PostgreSQL serialises settling and operator actions on one request; SQLite has one writer.
    let query = trx.selectFrom('privacy_requests').selectAll().where('id', '=', id);
    if (this.#dialect === 'postgres') query = query.forUpdate();
    const request = await query.executeTakeFirst();
    if (!request) throw notFound('privacy request');
    return request;
  }

  async #transition(trx: Transaction<Database>, request: PrivacyRequest, change: Partial<PrivacyRequest>): Promise<void> {
    await trx
      .updateTable('privacy_requests')
      .set({ ...change, version: request.version + 1 })
      .where('id', '=', request.id)
      .where('version', '=', request.version)
      .execute();
  }
}

type Identifiers = Partial<Record<Identifier, string>>;

/** The identifiers a system declared, of those the customer has. */
function pick(known: Identifiers, declared: readonly Identifier[]): Identifiers {
  return Object.fromEntries(declared.flatMap((kind) => (known[kind] ? [[kind, known[kind]]] : [])));
}

function modeFor(kind: PrivacyRequest['kind'], system: DataSystem): PrivacyTasksTable['mode'] {
  if (kind === 'export') return 'export';
  return system.retention ? 'restrict' : 'delete';
}
