import type { Insertable, Kysely, Transaction } from 'kysely';
import { retryDelay, type Backoff, type RandomSource } from '../jobs/backoff.ts';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import type { Dialect } from '../store/database.ts';
import type { Database, PrivacyTasksTable } from '../store/schema.ts';
import type { Receipt } from './system-contract.ts';

export interface TaskPolicy extends Backoff {
  maxAttempts: number;
  leaseMs: number;
  /** How long a callback system's receipt may take before the request is sent again. */
  callbackWaitMs: number;
}

/** States in which a task still blocks its request from completing. */
export const OPEN_TASK_STATES: Array<PrivacyTasksTable['state']> = ['pending', 'waiting_callback', 'waiting_operator'];

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The work queue of privacy requests: one task per system. A due task (pending, or a scheduled
 * final erasure whose day has come) is claimed with a lease in one UPDATE; on PostgreSQL the rows
 * are picked with FOR UPDATE SKIP LOCKED so nodes take disjoint tasks, on SQLite the single
 * writer makes the UPDATE atomic. A lost node's lease runs out and another takes the task over.
 */
export class PrivacyTasks implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'privacy_tasks',
      columns: { id: 'plain', request_id: 'plain', system: 'plain', access: 'plain', mode: 'plain', reference: 'external_references', categories: 'plain', state: 'plain', attempts: 'plain', next_attempt_at: 'plain', claimed_until: 'plain', last_error: 'plain', receipt: 'privacy_requests', export_data: 'privacy_requests', identifiers: 'contact', created_at: 'plain', completed_at: 'plain' },
      erasure: { rule: 'keep', reason: 'the record of what each system was asked and answered (Art. 5(2)); the copies a system sent for an export are blanked, and the e-mail address or phone number a system was told is cleared when its task is finished' },
      export: { rule: 'included', section: 'privacy_tasks', reason: 'the task of each system in the customer\'s requests by its state, mode, reference and times; left out: receipts (an answer can name staff; an export\'s answer is the export itself), errors, the sealed copies of answers, and the identifiers sent (the profile holds them)' },
    },
  ];
  /** The tasks stay as the record of what each system was asked and answered; only the exported copies go. */
  readonly erasureOnly = true;
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  readonly #policy: TaskPolicy;
  readonly #random: RandomSource;

  /** `random` draws the jitter of each retry (Math.random; tests pass their own). */
  constructor(db: Kysely<Database>, dialect: Dialect, policy: TaskPolicy, random: RandomSource = Math.random) {
    this.#db = db;
    this.#dialect = dialect;
    this.#policy = policy;
    this.#random = random;
  }

  /** A new task of a request, in the caller's transaction (verification, or a final erasure scheduled after a hold). */
  async add(trx: Transaction<Database>, task: Insertable<PrivacyTasksTable>): Promise<void> {
    await trx.insertInto('privacy_tasks').values(task).execute();
  }

  /** What a system exported, sealed, kept with its task until the archive is assembled. */
  async storeExportData(trx: Transaction<Database>, taskId: string, sealed: string): Promise<void> {
    await trx.updateTable('privacy_tasks').set({ export_data: sealed }).where('id', '=', taskId).execute();
  }

  /** The per-system copies of a request's export, cleared (the archive was assembled from them). */
  async clearExportData(trx: Transaction<Database>, requestId: string): Promise<void> {
    await trx.updateTable('privacy_tasks').set({ export_data: null }).where('request_id', '=', requestId).execute();
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db
      .selectFrom('privacy_tasks')
      .select(['id', 'request_id', 'system', 'mode', 'reference', 'state', 'created_at', 'completed_at'])
      .where('request_id', 'in', (eb) => eb.selectFrom('privacy_requests').select('id').where('customer_id', '=', customer.id))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return { privacy_tasks: rows.map((row) => ({ id: row.id, request_id: row.request_id, system: row.system, mode: row.mode, reference: row.reference, state: row.state, created_at: isoTime(row.created_at), completed_at: isoTime(row.completed_at) })) };
  }

  /** Answers not yet assembled into an export of any of the customer's requests. */
  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx
      .updateTable('privacy_tasks')
      .set({ export_data: null })
      .where('request_id', 'in', (eb) => eb.selectFrom('privacy_requests').select('id').where('customer_id', '=', customer.id))
      .execute();
  }

  async claimDue(limit: number, now = Date.now()): Promise<PrivacyTasksTable[]> {
    return this.#db
      .updateTable('privacy_tasks')
      .set({ claimed_until: now + this.#policy.leaseMs })
      .where('id', 'in', (eb) => {
        let due = eb
          .selectFrom('privacy_tasks')
          .select('id')
          .where('state', 'in', ['pending', 'scheduled', 'waiting_callback'])
          .where('next_attempt_at', '<=', now)
          .where('claimed_until', '<=', now)
          .orderBy('next_attempt_at')
          .limit(limit);
        if (this.#dialect === 'postgres') due = due.forUpdate().skipLocked();
        return due;
      })
      .where('claimed_until', '<=', now)
      .returningAll()
      .execute();
  }

  /** The task is done with this receipt; false when it was not open (a replay, or done already). */
  async complete(id: string, receipt: Omit<Receipt, 'export'> & { confirmed_by?: string; exported?: boolean }, db: Executor = this.#db, now = Date.now()): Promise<boolean> {
    const result = await db
      .updateTable('privacy_tasks')
      .set({ state: 'done', receipt: JSON.stringify(receipt), completed_at: now, claimed_until: 0, last_error: null, identifiers: null })
      .where('id', '=', id)
      .where('state', 'in', ['pending', 'scheduled', 'waiting_callback', 'waiting_operator'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * A callback system accepted the request: its receipt comes later, on the callback URL. Should
   * it not come within the wait (a lost callback, a crash on either side), the task is claimed
   * again, counted as a failed attempt, and the same request is sent again. A scheduled final
   * erasure waits for its callback the same way.
   */
  async awaitCallback(task: PrivacyTasksTable, now = Date.now()): Promise<boolean> {
    return this.#fromClaim(task, { state: 'waiting_callback', claimed_until: 0, last_error: null, next_attempt_at: now + this.#policy.callbackWaitMs });
  }

  /** A task of a system that is (now) manual: it waits for an operator. */
  async awaitOperator(task: PrivacyTasksTable, db: Executor = this.#db): Promise<boolean> {
    return this.#fromClaim(task, { state: 'waiting_operator', claimed_until: 0 }, db);
  }

  /**
   * Retried with doubling, jittered delays (see retryDelay); after the last attempt it is dead, until an operator retries it.
   * 'gone' when the task changed since it was claimed (a callback completed it meanwhile): then
   * nothing is written, so a finished task is never reopened.
   */
  async failed(task: PrivacyTasksTable, reason: string, db: Executor = this.#db, now = Date.now()): Promise<'retry' | 'dead' | 'gone'> {
    const attempts = task.attempts + 1;
    // A scheduled final erasure keeps its state while it retries: it never blocks a finished request.
    // A callback that never came is asked for again: the task is pending, to be sent once more.
    const dead = attempts >= this.#policy.maxAttempts;
    const state = dead ? ('dead' as const) : task.state === 'waiting_callback' ? ('pending' as const) : task.state;
    const changed = await this.#fromClaim(task, { attempts, state, last_error: reason.slice(0, 300), claimed_until: 0, ...(dead ? {} : { next_attempt_at: now + retryDelay(this.#policy, attempts, this.#random) }) }, db);
    if (!changed) return 'gone';
    return dead ? 'dead' : 'retry';
  }

  /** A change to a claimed task, only if it is still as claimed (compare-and-set on state and lease). */
  async #fromClaim(task: PrivacyTasksTable, change: Partial<PrivacyTasksTable>, db: Executor = this.#db): Promise<boolean> {
    const result = await db
      .updateTable('privacy_tasks')
      .set(change)
      .where('id', '=', task.id)
      .where('state', '=', task.state)
      .where('claimed_until', '=', task.claimed_until)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** An operator's retry of a dead task: pending again, at once, with a fresh count of attempts. */
  async revive(requestId: string, id: string, db: Executor, now = Date.now()): Promise<boolean> {
    const result = await db
      .updateTable('privacy_tasks')
      .set({ state: 'pending', attempts: 0, next_attempt_at: now, claimed_until: 0, last_error: null })
      .where('id', '=', id)
      .where('request_id', '=', requestId)
      .where('state', '=', 'dead')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  get(id: string, db: Executor = this.#db): Promise<PrivacyTasksTable | undefined> {
    return db.selectFrom('privacy_tasks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  forRequest(requestId: string, db: Executor = this.#db): Promise<PrivacyTasksTable[]> {
    return db.selectFrom('privacy_tasks').selectAll().where('request_id', '=', requestId).orderBy('created_at').orderBy('system').execute();
  }
}

/** `secret rotate` (ops/secret-rotation.ts): what an export task brought back sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealExportData(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('privacy_tasks').set({ export_data: sealed }).where('id', '=', id).where('export_data', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
