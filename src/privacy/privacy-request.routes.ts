import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { conflict } from '../errors/domain-error.ts';
import { OPERATOR } from '../events/audit-log.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import { parseInput } from '../validation/parse-input.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { privacyReportPage } from '../pages/privacy-report.page.ts';
import type { PrivacyRequestsTable, PrivacyTasksTable } from '../store/schema.ts';
import { text } from '../validation/text.ts';
import type { PrivacyReport } from './privacy-report.ts';
import type { PrivacyRequests } from './privacy-requests.ts';
import { receipt } from './system-contract.ts';

const requestId = z.string().regex(/^prq_[0-9a-f-]{36}$/);
const idParams = z.strictObject({ id: requestId });
const taskParams = z.strictObject({ id: requestId, task: z.string().regex(/^ptk_[0-9a-f-]{36}$/) });
const STATES = ['received', 'verified', 'in_progress', 'completed', 'completed_with_exceptions', 'failed'] as const;

const seconds = (at: number | null) => (at === null ? null : Math.floor(Number(at) / 1000));

const taskOutput = z.object({
  id: z.string(),
  system: z.string(),
  access: z.string(),
  mode: z.string(),
  reference: z.string().nullable(),
  state: z.enum(['pending', 'waiting_callback', 'waiting_operator', 'scheduled', 'done', 'dead']),
  attempts: z.number().int(),
  next_attempt_at: z.number().int().nullable(),
  last_error: z.string().nullable(),
  receipt: z.unknown().nullable(),
  completed_at: z.number().int().nullable(),
});
const requestOutput = z.object({
  id: z.string(),
  kind: z.enum(['erasure', 'export']),
  customer_id: z.string(),
  state: z.enum(STATES),
  source: z.string(),
  received_at: z.number().int(),
  verified_at: z.number().int().nullable(),
  verification: z.string().nullable(),
  due_at: z.number().int(),
  overdue: z.boolean(),
  extension_reason: z.string().nullable(),
  completed_at: z.number().int().nullable(),
  tasks: z.array(taskOutput).optional(),
});

const presentTask = (task: PrivacyTasksTable) => ({
  id: task.id,
  system: task.system,
  access: task.access,
  mode: task.mode,
  reference: task.reference,
  state: task.state,
  attempts: task.attempts,
  next_attempt_at: task.state === 'pending' || task.state === 'scheduled' ? seconds(task.next_attempt_at) : null,
  last_error: task.last_error,
  receipt: task.receipt ? (JSON.parse(task.receipt) as unknown) : null,
  completed_at: seconds(task.completed_at),
});

export const presentRequest = (request: PrivacyRequestsTable, tasks?: PrivacyTasksTable[], now = Date.now()) => ({
  id: request.id,
  kind: request.kind,
  customer_id: request.customer_id,
  state: request.state,
  source: request.source,
  received_at: seconds(request.received_at)!,
  verified_at: seconds(request.verified_at),
  verification: request.verification,
  due_at: seconds(request.due_at)!,
  overdue: ['received', 'verified', 'in_progress'].includes(request.state) && Number(request.due_at) < now,
  extension_reason: request.extension_reason,
  completed_at: seconds(request.completed_at),
  ...(tasks ? { tasks: tasks.map(presentTask) } : {}),
});

async function reportOf(requests: PrivacyRequests, id: string): Promise<PrivacyReport> {
  const request = await requests.get(id);
  if (request.report === null) throw conflict('not_finished', `The request is ${request.state}; the report is written when it finishes`);
  return JSON.parse(request.report) as PrivacyReport;
}

/** `/privacy-requests`: erasure and export requests, their tasks per system, and the evidence report. */
export function privacyRequestRoutes(app: FastifyInstance, api: ApiRegistry, requests: PrivacyRequests): void {
  const withTasks = async (id: string) => presentRequest(await requests.get(id), await requests.tasks(id));

  api.add(app, {
    method: 'POST',
    url: '/privacy-requests',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'Receive an erasure or export request; with `verification` (how the requester was identified) it is verified and fanned out at once',
    body: z.strictObject({
      customer_id: z.uuid(),
      kind: z.enum(['erasure', 'export']),
      verification: text().trim().min(3).max(500).optional().describe('What identified the requester, e.g. "signed in with passkey" or "ID checked in store 12"'),
    }),
    status: 201,
    response: requestOutput,
    handler: async ({ body }) => {
      const created = await requests.create({ customerId: body.customer_id, kind: body.kind, source: 'operator', verification: body.verification }, OPERATOR);
      return withTasks(created.id);
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/privacy-requests',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'Requests, newest first; `overdue=true` lists open requests past their due date',
    query: z.strictObject({
      overdue: z.enum(['true', 'false']).optional(),
      state: z.enum(STATES).optional(),
      customer_id: z.uuid().optional(),
      before: requestId.optional().describe('Cursor: the last id of the previous page'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    status: 200,
    response: z.object({ requests: z.array(requestOutput), next: z.string().nullable() }),
    handler: async ({ query }) => {
      const page = await requests.list({ overdue: query.overdue === 'true', state: query.state, customerId: query.customer_id, before: query.before, limit: query.limit });
      return { requests: page.map((request) => presentRequest(request)), next: page.length === query.limit ? page.at(-1)!.id : null };
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/privacy-requests/:id',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'A request with its task per system',
    params: idParams,
    status: 200,
    response: requestOutput,
    handler: async ({ params }) => withTasks(params.id),
  });
  api.add(app, {
    method: 'POST',
    url: '/privacy-requests/:id/verify',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'The requester is identified: fan the request out to every system',
    params: idParams,
    body: z.strictObject({ verification: text().trim().min(3).max(500) }),
    status: 200,
    response: requestOutput,
    handler: async ({ params, body }) => {
      await requests.verify(params.id, body.verification, OPERATOR);
      return withTasks(params.id);
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/privacy-requests/:id/extend',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'Extend the due date once, by one or two months, with the reason the customer is told (GDPR Art. 12(3))',
    params: idParams,
    body: z.strictObject({ months: z.union([z.literal(1), z.literal(2)]), reason: text().trim().min(10).max(1000) }),
    status: 200,
    response: requestOutput,
    handler: async ({ params, body }) => {
      await requests.extend(params.id, body.months, body.reason, OPERATOR);
      return withTasks(params.id);
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/privacy-requests/:id/tasks/:task/confirm',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: "An operator confirms a manual system's task: who did it, what was deleted, what is kept and why",
    params: taskParams,
    body: z.strictObject({
      confirmed_by: text().trim().min(1).max(200),
      deleted: receipt.shape.deleted,
      retained: receipt.shape.retained,
      note: text().max(2000).optional(),
    }),
    status: 200,
    response: requestOutput,
    handler: async ({ params, body }) => {
      await requests.confirmManual(params.id, params.task, { request_id: params.id, status: 'completed', pseudonymized: [], ...body }, OPERATOR);
      return withTasks(params.id);
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/privacy-requests/:id/tasks/:task/retry',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'Retry a dead task (a failed request is in progress again)',
    params: taskParams,
    status: 200,
    response: requestOutput,
    handler: async ({ params }) => {
      await requests.retryTask(params.id, params.task, OPERATOR);
      return withTasks(params.id);
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/privacy-requests/:id/report',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'The evidence report of a finished request: every system, what it did and when, what is kept and why, and the audit chain head',
    params: idParams,
    status: 200,
    response: z.unknown(),
    handler: async ({ params }) => reportOf(requests, params.id),
  });
  // The same report as a readable page (not in the OpenAPI document: it is HTML).
  app.get('/privacy-requests/:id/report.html', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return sendPage(reply, 200, privacyReportPage(pageContextFor(request, 'en'), await reportOf(requests, id)));
  });
}
