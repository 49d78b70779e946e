import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { conflict } from '../errors/domain-error.ts';
import { OPERATOR } from '../events/audit-log.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import { parseInput } from '../validation/parse-input.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { privacyReportPage } from '../pages/privacy-report.page.ts';
import { text } from '../validation/text.ts';
import type { DataSystems } from './data-systems.ts';
import { OPEN_REQUEST_STATES, type PrivacyRequest } from './privacy-request.ts';
import { presentRequest, queueCursor, REQUEST_STATES, requestId, requestOutput, writeCursor } from './privacy-request.schemas.ts';
import { countsOf, type PrivacyQueue } from './privacy-queue.ts';
import type { PrivacyReport } from './privacy-report.ts';
import type { PrivacyRequests } from './privacy-requests.ts';
import { receipt } from './system-contract.ts';

const idParams = z.strictObject({ id: requestId });
const taskParams = z.strictObject({ id: requestId, task: z.string().regex(/^ptk_[0-9a-f-]{36}$/) });

const listQuery = z
  .strictObject({
    queue: z.literal('open').optional().describe('open: the work queue, open requests by due date, soonest first (overdue ones lead), paged with `after`; without it every request, newest first, paged with `before`'),
    overdue: z.enum(['true', 'false']).optional().describe('true: only open requests past their due date'),
    state: z.enum(REQUEST_STATES).optional(),
    kind: z.enum(['erasure', 'export']).optional(),
    customer_id: z.uuid().optional(),
    before: requestId.optional().describe('Cursor (every request): the last id of the previous page'),
    after: queueCursor.optional().describe('Cursor (the queue): `next` of the previous page'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .superRefine((query, ctx) => {
    if (query.queue && query.before) ctx.addIssue({ code: 'custom', path: ['before'], message: 'the queue pages with `after`' });
    if (!query.queue && query.after) ctx.addIssue({ code: 'custom', path: ['after'], message: '`after` pages the queue (queue=open)' });
    if (query.queue && query.state && !OPEN_REQUEST_STATES.includes(query.state)) ctx.addIssue({ code: 'custom', path: ['state'], message: 'the open queue holds received, verified and in_progress requests' });
  });

async function reportOf(requests: PrivacyRequests, id: string): Promise<PrivacyReport> {
  const request = await requests.get(id);
  if (request.report === null) throw conflict('not_finished', `The request is ${request.state}; the report is written when it finishes`);
  return JSON.parse(request.report) as PrivacyReport;
}

/** `/privacy-requests`: erasure and export requests, their tasks per system, and the evidence report. */
export function privacyRequestRoutes(app: FastifyInstance, api: ApiRegistry, deps: { requests: PrivacyRequests; queue: PrivacyQueue; systems: DataSystems }): void {
  const { requests, queue } = deps;
  const withTasks = async (id: string) => {
    const [request, tasks, systems] = await Promise.all([requests.get(id), requests.tasks(id), deps.systems.list()]);
    return presentRequest(request, countsOf(tasks), { tasks, systems });
  };
  const withCounts = async (page: PrivacyRequest[]) => {
    const counts = await queue.taskCounts(page.map((request) => request.id));
    return page.map((request) => presentRequest(request, counts.get(request.id)!));
  };

  api.add(app, {
    method: 'POST',
    url: '/privacy-requests',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    // An erasure cannot be undone (and an export hands out everything held on the customer): a fresh sign-in in the console.
    sensitive: true,
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
    summary: 'Requests with how many of their tasks are in each state: every request newest first, or (`queue=open`) the open ones by due date, overdue first; `overdue=true` only those past their due date',
    query: listQuery,
    status: 200,
    response: z.object({ requests: z.array(requestOutput), next: z.string().nullable().describe('Cursor of the next page (`before`, or `after` in the queue); null at the end') }),
    handler: async ({ query }) => {
      const filter = { overdue: query.overdue === 'true', state: query.state, kind: query.kind, customerId: query.customer_id, limit: query.limit };
      if (query.queue) {
        const page = await queue.open({ ...filter, after: query.after });
        return { requests: await withCounts(page.requests), next: writeCursor(page.next) };
      }
      const page = await requests.list({ ...filter, before: query.before });
      return { requests: await withCounts(page), next: page.length === query.limit ? page.at(-1)!.id : null };
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/privacy-requests/:id',
    tag: 'privacy',
    roles: ['admin', 'privacy_officer'],
    summary: 'A request with its task per system: the state of each, its attempts and last error, its receipt, and a manual system\'s checklist',
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
