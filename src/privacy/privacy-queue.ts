import type { Kysely } from 'kysely';
import type { Database, PrivacyTaskState } from '../store/schema.ts';
import type { PrivacyFigures } from '../ops/queue-figures.ts';
import { OPEN_REQUEST_STATES, type PrivacyRequest } from './privacy-request.ts';

export const TASK_STATES: readonly PrivacyTaskState[] = ['pending', 'waiting_callback', 'waiting_operator', 'scheduled', 'done', 'dead', 'not_identified'];
export type TaskCounts = Record<PrivacyTaskState, number>;
/** Task states in which a task waits on a person. */
export const WAITING_STATES = ['waiting_operator', 'dead', 'not_identified'] as const satisfies readonly PrivacyTaskState[];
export type WaitingState = (typeof WAITING_STATES)[number];
/** Task states in which the workers are still carrying a task out. */
export const OPEN_TASK_STATES = ['pending', 'waiting_callback', 'scheduled'] as const satisfies readonly PrivacyTaskState[];

const noTasks = () => Object.fromEntries(TASK_STATES.map((state) => [state, 0])) as TaskCounts;

/** How many of these tasks are in each state. */
export function countsOf(tasks: ReadonlyArray<{ state: PrivacyTaskState }>): TaskCounts {
  const counts = noTasks();
  for (const task of tasks) counts[task.state] += 1;
  return counts;
}

/** Where the next page of the open queue starts: after this due date, then id. */
export interface QueueCursor {
  dueAt: number;
  id: string;
}

export interface QueueFilter {
  /** Only those past their due date. */
  overdue?: boolean | undefined;
  /** One of the open states only. */
  state?: PrivacyRequest['state'] | undefined;
  kind?: PrivacyRequest['kind'] | undefined;
  customerId?: string | undefined;
  after?: QueueCursor | undefined;
  limit: number;
}

/**
 * The privacy officer's work queue: open requests by due date, soonest first, so those past their
 * due date lead; and how many tasks of each request are in each state. Reads only (the state
 * machine is `privacy-requests.ts`'s).
 */
export class PrivacyQueue {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Open requests (received, verified, in progress) by due date, then id: overdue ones first. A
   * page of `limit`, and where the next begins (null at the end). The cursor holds the due date
   * itself, so a request extended or closed meanwhile does not move the pages around it.
   */
  async open(filter: QueueFilter, now = Date.now()): Promise<{ requests: PrivacyRequest[]; next: QueueCursor | null }> {
    let query = this.#filtered(filter, now).where('state', 'in', OPEN_REQUEST_STATES).orderBy('due_at').orderBy('id').limit(filter.limit + 1);
    const after = filter.after;
    if (after) query = query.where((eb) => eb.or([eb('due_at', '>', after.dueAt), eb.and([eb('due_at', '=', after.dueAt), eb('id', '>', after.id)])]));
    const rows = await query.execute();
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { requests: page, next: rows.length > filter.limit && last ? { dueAt: Number(last.due_at), id: last.id } : null };
  }

  /** How many tasks of each request are in each state. */
  async taskCounts(requestIds: readonly string[]): Promise<Map<string, TaskCounts>> {
    const counts = new Map(requestIds.map((id) => [id, noTasks()]));
    if (requestIds.length === 0) return counts;
    const rows = await this.#db
      .selectFrom('privacy_tasks')
      .select(['request_id', 'state', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('request_id', 'in', requestIds)
      .groupBy(['request_id', 'state'])
      .execute();
    for (const row of rows) counts.get(row.request_id)![row.state] = Number(row.n);
    return counts;
  }

  /**
   * The metrics' figures, counted across every node from the database: tasks the workers still
   * carry out and tasks waiting on a person (an operator, a dead task, a system never told who the
   * customer was: these stay counted, they are the record), by state; open requests and those
   * past their due date. One aggregate query per table, each on its `(state, …)` index; finished
   * tasks, the bulk of the table, are not read.
   */
  async figures(now = Date.now()): Promise<PrivacyFigures> {
    const rows = await this.#db
      .selectFrom('privacy_tasks')
      .select(['state', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('state', 'in', [...OPEN_TASK_STATES, ...WAITING_STATES])
      .groupBy('state')
      .execute();
    const count = (state: PrivacyTaskState) => Number(rows.find((row) => row.state === state)?.n ?? 0);
    const requests = await this.#db
      .selectFrom('privacy_requests')
      .select((eb) => [eb.fn.countAll<number | string>().as('open'), eb.fn.sum<number | string | null>(eb.case().when('due_at', '<', now).then(1).else(0).end()).as('overdue')])
      .where('state', 'in', OPEN_REQUEST_STATES)
      .executeTakeFirstOrThrow();
    return {
      openTasks: Object.fromEntries(OPEN_TASK_STATES.map((state) => [state, count(state)])),
      waitingTasks: Object.fromEntries(WAITING_STATES.map((state) => [state, count(state)])),
      openRequests: Number(requests.open),
      overdueRequests: Number(requests.overdue ?? 0),
    };
  }

  #filtered(filter: QueueFilter, now: number) {
    let query = this.#db.selectFrom('privacy_requests').selectAll();
    if (filter.overdue) query = query.where('due_at', '<', now);
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
    return query;
  }
}
