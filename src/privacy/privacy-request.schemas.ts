import { z } from 'zod';
import type { PrivacyRequestsTable, PrivacyTasksTable } from '../store/schema.ts';
import type { DataSystem } from './data-systems.ts';
import { OPEN_REQUEST_STATES } from './privacy-request.ts';
import { TASK_STATES, type QueueCursor, type TaskCounts } from './privacy-queue.ts';

export const REQUEST_STATES = ['received', 'verified', 'in_progress', 'completed', 'completed_with_exceptions', 'failed'] as const;
export const requestId = z.string().regex(/^prq_[0-9a-f-]{36}$/);

const seconds = (at: number | null) => (at === null ? null : Math.floor(Number(at) / 1000));

/** The queue's cursor as it travels: `{due date in ms}.{request id}`. */
export const queueCursor = z
  .string()
  .regex(/^\d{1,15}\.prq_[0-9a-f-]{36}$/, 'the `next` of the previous page')
  .transform((value): QueueCursor => ({ dueAt: Number(value.slice(0, value.indexOf('.'))), id: value.slice(value.indexOf('.') + 1) }));
export const writeCursor = (cursor: QueueCursor | null) => (cursor ? `${cursor.dueAt}.${cursor.id}` : null);

const taskStates = z.enum(TASK_STATES as [PrivacyTasksTable['state'], ...PrivacyTasksTable['state'][]]);
const taskCountsOutput = z.object(Object.fromEntries(TASK_STATES.map((state) => [state, z.number().int()])) as Record<PrivacyTasksTable['state'], z.ZodNumber>).describe('How many of its tasks are in each state');

const taskOutput = z.object({
  id: z.string(),
  system: z.string(),
  system_name: z.string().nullable().describe('As the data map names the system now; null when it has left the map'),
  access: z.string(),
  mode: z.string(),
  reference: z.string().nullable(),
  identifiers: z
    .object({ reference: z.string().optional(), email: z.string().optional(), phone: z.string().optional() })
    .nullable()
    .describe('Who the system is told the customer is (those of its identified_by the customer has), while the task is open; null once it is finished, or when the customer had none (not_identified)'),
  categories: z.array(z.string()).describe('What the system was asked about'),
  checklist: z.array(z.string()).nullable().describe("A manual system's checklist: what the operator confirming the task must have done"),
  state: taskStates,
  attempts: z.number().int(),
  next_attempt_at: z.number().int().nullable(),
  last_error: z.string().nullable(),
  receipt: z.unknown().nullable(),
  created_at: z.number().int(),
  completed_at: z.number().int().nullable(),
});

export const requestOutput = z.object({
  id: z.string(),
  kind: z.enum(['erasure', 'export']),
  customer_id: z.string(),
  state: z.enum(REQUEST_STATES),
  source: z.string(),
  received_at: z.number().int(),
  verified_at: z.number().int().nullable(),
  verification: z.string().nullable(),
  due_at: z.number().int(),
  overdue: z.boolean().describe('Still open past its due date'),
  extension_reason: z.string().nullable(),
  completed_at: z.number().int().nullable(),
  task_counts: taskCountsOutput,
  tasks: z.array(taskOutput).optional(),
});

function presentTask(task: PrivacyTasksTable, system: DataSystem | undefined) {
  return {
    id: task.id,
    system: task.system,
    system_name: system?.name ?? null,
    access: task.access,
    mode: task.mode,
    reference: task.reference,
    identifiers: task.identifiers ? (JSON.parse(task.identifiers) as Record<string, string>) : null,
    categories: JSON.parse(task.categories) as string[],
    checklist: task.access === 'manual' ? (system?.checklist ?? null) : null,
    state: task.state,
    attempts: task.attempts,
    next_attempt_at: task.state === 'pending' || task.state === 'scheduled' ? seconds(task.next_attempt_at) : null,
    last_error: task.last_error,
    receipt: task.receipt ? (JSON.parse(task.receipt) as unknown) : null,
    created_at: seconds(task.created_at)!,
    completed_at: seconds(task.completed_at),
  };
}

export function presentRequest(request: PrivacyRequestsTable, counts: TaskCounts, detail?: { tasks: PrivacyTasksTable[]; systems: DataSystem[] }, now = Date.now()) {
  const systems = new Map(detail?.systems.map((system) => [system.key, system]));
  return {
    id: request.id,
    kind: request.kind,
    customer_id: request.customer_id,
    state: request.state,
    source: request.source,
    received_at: seconds(request.received_at)!,
    verified_at: seconds(request.verified_at),
    verification: request.verification,
    due_at: seconds(request.due_at)!,
    overdue: OPEN_REQUEST_STATES.includes(request.state) && Number(request.due_at) < now,
    extension_reason: request.extension_reason,
    completed_at: seconds(request.completed_at),
    task_counts: counts,
    ...(detail ? { tasks: detail.tasks.map((task) => presentTask(task, systems.get(task.system))) } : {}),
  };
}
