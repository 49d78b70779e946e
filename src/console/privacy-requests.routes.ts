import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { evidenceReportPage } from '../pages/console/evidence-report.page.ts';
import type { ConfirmTyped } from '../pages/console/manual-task-form.ts';
import { privacyQueuePage } from '../pages/console/privacy-queue.page.ts';
import { privacyRequestPage, type RequestDetail, type RequestView, type TaskRow } from '../pages/console/privacy-request.page.ts';
import { queueCursor, requestId } from '../privacy/privacy-request.schemas.ts';
import type { PrivacyReport } from '../privacy/privacy-report.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { domainText, fieldErrors } from './field-errors.ts';
import { correctable, refusalFields, withTexts, type RefusalMap } from './operation-refusals.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';

const PAGE_SIZE = '25';
const idParams = z.object({ id: requestId });
const taskId = z.string().regex(/^ptk_[0-9a-f-]{36}$/);
const queueQuery = z.object({
  list: z.enum(['open', 'all']).catch('open'),
  overdue: z.literal('1').optional().catch(undefined),
  after: z.string().refine((value) => queueCursor.safeParse(value).success).optional().catch(undefined),
  before: requestId.optional().catch(undefined),
});
/** Checkboxes arrive as one value, several, or none. */
const ticks = z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(z.string().max(300)).max(100));
const confirmForm = z.object({ task: taskId, checklist: ticks, deleted: ticks, retained_reason: z.string().trim().max(500).default(''), note: z.string().trim().max(2000).default('') });
type ConfirmForm = z.infer<typeof confirmForm>;
const verifyForm = z.object({ verification: z.string().trim().min(3).max(500) });
const extendForm = z.object({ months: z.enum(['1', '2']), reason: z.string().trim().min(10).max(1000) });
/** The specific texts of the verification and extension fields. */
const STEP_TEXTS = { verification: 'privacy.error.verification', months: 'privacy.error.months', reason: 'privacy.error.reason' } as const satisfies Record<string, ConsoleKey>;
const STEP_REFUSALS: RefusalMap = { field: (path) => path[0], codes: { wrong_state: ['', 'privacy.error.wrong_state'], already_extended: ['', 'privacy.error.already_extended'] }, texts: STEP_TEXTS };
const DONE = { retried: 'privacy.done.retried', confirmed: 'privacy.done.confirmed', verified: 'privacy.done.verified', extended: 'privacy.done.extended' } as const;

/** `/console/privacy…`: the requests queue, a request with its tasks, the operator's retry and manual confirmation, and the evidence report. */
export function consolePrivacyRequestRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  steps.mount(app, {
    method: 'GET',
    path: '/console/privacy',
    operation: ['GET', '/privacy-requests'],
    handle: async (input) => {
      const query = queueQuery.parse(input.request.query ?? {});
      if (query.list === 'all') {
        const found = await input.run('GET', '/privacy-requests', { query: { limit: PAGE_SIZE, ...(query.before ? { before: query.before } : {}) } });
        const next = found.next ? `/console/privacy?list=all&before=${encodeURIComponent(found.next)}` : undefined;
        return sendPage(input.reply, 200, privacyQueuePage(input.page, { list: 'all', overdueOnly: false, requests: found.requests, next, paged: Boolean(query.before) }));
      }
      const overdue = query.overdue === '1';
      const found = await input.run('GET', '/privacy-requests', { query: { queue: 'open', limit: PAGE_SIZE, ...(overdue ? { overdue: 'true' } : {}), ...(query.after ? { after: query.after } : {}) } });
      const next = found.next ? `/console/privacy?${overdue ? 'overdue=1&' : ''}after=${encodeURIComponent(found.next)}` : undefined;
      return sendPage(input.reply, 200, privacyQueuePage(input.page, { list: 'open', overdueOnly: overdue, requests: found.requests, next, paged: Boolean(query.after) }));
    },
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/privacy/:id',
    operation: ['GET', '/privacy-requests/:id'],
    params: idParams,
    handle: async (input) => sendPage(input.reply, 200, privacyRequestPage(input.page, await requestView(input, input.params.id))),
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/privacy/:id/retry',
    operation: ['POST', '/privacy-requests/:id/tasks/:task/retry'],
    params: idParams,
    form: z.object({ task: taskId }),
    refuse: async (input) => sendPage(input.reply, 400, privacyRequestPage(input.page, await requestView(input, input.params.id, { errors: { '': input.page.t('error.invalid') } }))),
    handle: async (input) => {
      try {
        await input.run('POST', '/privacy-requests/:id/tasks/:task/retry', { params: { id: input.params.id, task: input.form.task } });
      } catch (error) {
        if (!refusable(error)) throw error;
        const text = error.code === 'not_dead' ? input.page.t('privacy.error.not_dead') : domainText(error, input.page.t);
        return sendPage(input.reply, error.status, privacyRequestPage(input.page, await requestView(input, input.params.id, { errors: { '': text } })));
      }
      return seeOther(input.reply, `/console/privacy/${input.params.id}?done=retried`);
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/privacy/:id/confirm',
    operation: ['POST', '/privacy-requests/:id/tasks/:task/confirm'],
    params: idParams,
    form: confirmForm,
    refuse: async (input, errors) => redraw(input, input.params.id, 400, errors.task ? { '': input.page.t('error.invalid') } : errors, typed(input.body)),
    handle: async (input) => {
      const request = await input.run<RequestDetail>('GET', '/privacy-requests/:id', { params: input.params });
      const task = request.tasks.find((candidate) => candidate.id === input.form.task);
      if (!task?.checklist) throw new DomainError('not_found', 404, 'No manual task of this request has that id');
      const checked = checkConfirmation(input, task, input.form);
      if (!checked.ok) return redraw(input, input.params.id, 400, checked.errors, { ...input.form });
      try {
        await input.run('POST', '/privacy-requests/:id/tasks/:task/confirm', { params: { id: input.params.id, task: task.id }, body: checked.body });
      } catch (error) {
        if (!refusable(error)) throw error;
        const errors = error.code === 'wrong_state' ? { '': input.page.t('privacy.error.wrong_state') } : fieldErrors(error, input.page.t, ['note', 'deleted', 'retained']);
        const { retained, ...rest } = errors;
        return redraw(input, input.params.id, error.status, retained ? { ...rest, retained_reason: retained } : rest, { ...input.form });
      }
      return seeOther(input.reply, `/console/privacy/${input.params.id}?done=confirmed`);
    },
  });
  // The requester identified (the request fans out), and the due date extended once: the API's operations, in the operator's name.
  mountRequestStep(app, steps, 'verify', verifyForm, (form) => ({ verification: form.verification }), 'verified');
  mountRequestStep(app, steps, 'extend', extendForm, (form) => ({ months: Number(form.months), reason: form.reason }), 'extended');
  steps.mount(app, {
    method: 'GET',
    path: '/console/privacy/:id/report',
    operation: ['GET', '/privacy-requests/:id/report'],
    params: idParams,
    handle: async (input) => sendPage(input.reply, 200, evidenceReportPage(input.page, await input.run<PrivacyReport>('GET', '/privacy-requests/:id/report', { params: input.params }))),
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/privacy/:id/report.json',
    operation: ['GET', '/privacy-requests/:id/report'],
    params: idParams,
    handle: async (input) => {
      const report = await input.run('GET', '/privacy-requests/:id/report', { params: input.params });
      return input.reply
        .type('application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="privacy-report-${input.params.id}.json"`)
        .send(JSON.stringify(report, null, 2));
    },
  });
}

const refusable = (error: unknown): error is DomainError => error instanceof DomainError && error.status < 500 && error.status !== 403;

async function requestView(input: ConsoleInput, id: string, extra: Partial<RequestView> = {}): Promise<RequestView> {
  const request = await input.run<RequestDetail>('GET', '/privacy-requests/:id', { params: { id } });
  const done = (input.request.query as Record<string, unknown> | undefined)?.done;
  return {
    csrf: input.csrfToken,
    request,
    may: {
      retry: input.allows('POST', '/privacy-requests/:id/tasks/:task/retry'),
      confirm: input.allows('POST', '/privacy-requests/:id/tasks/:task/confirm'),
      report: input.allows('GET', '/privacy-requests/:id/report'),
      customer: input.allows('GET', '/customers/:id'),
      verify: input.allows('POST', '/privacy-requests/:id/verify'),
      extend: input.allows('POST', '/privacy-requests/:id/extend'),
    },
    ...(typeof done === 'string' && done in DONE ? { notice: input.page.t(DONE[done as keyof typeof DONE]) } : {}),
    ...extra,
  };
}

/**
 * `POST /console/privacy/:id/{step}`: the form checked, then `POST /privacy-requests/:id/{step}`
 * with its body; a refusal draws the request page again with the field errors, in the page's language.
 */
function mountRequestStep<F>(app: FastifyInstance, steps: ConsoleSteps, step: 'verify' | 'extend', form: z.ZodType<F>, body: (form: F) => Record<string, unknown>, done: keyof typeof DONE): void {
  const operation = `/privacy-requests/:id/${step}`;
  steps.mount(app, {
    method: 'POST',
    path: `/console/privacy/:id/${step}`,
    operation: ['POST', operation],
    params: idParams,
    form,
    refuse: async (input, errors) => redrawStep(input, 400, withTexts(errors, input.page.t, STEP_TEXTS)),
    handle: async (input) => {
      try {
        await input.run('POST', operation, { params: input.params, body: body(input.form) });
      } catch (error) {
        const refused = correctable(error);
        return redrawStep(input, refused.status, refusalFields(refused, input.page.t, STEP_REFUSALS));
      }
      return seeOther(input.reply, `/console/privacy/${input.params.id}?done=${done}`);
    },
  });
}

/** A refused verification or extension: the request page again, with what was typed and why it was refused. */
async function redrawStep(input: ConsoleInput & { params: { id: string }; body?: Record<string, unknown> }, status: number, errors: FieldErrors) {
  const body = (input.body ?? (input.request.body as Record<string, unknown> | undefined) ?? {}) as Record<string, unknown>;
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : undefined);
  const typedStep = Object.fromEntries(Object.entries({ verification: text('verification', 500), months: text('months', 1), reason: text('reason', 1000) }).filter(([, value]) => value !== undefined));
  return sendPage(input.reply, status, privacyRequestPage(input.page, await requestView(input, input.params.id, { errors, typedStep })));
}

async function redraw(input: ConsoleInput, id: string, status: number, errors: FieldErrors, typedForm: ConfirmTyped | undefined) {
  return sendPage(input.reply, status, privacyRequestPage(input.page, await requestView(input, id, { errors, ...(typedForm ? { typed: typedForm } : {}) })));
}

/**
 * The console's own rule before the operation: every step of the checklist ticked (the API takes
 * the operator's word; the page asks for it step by step), deleted categories among the task's,
 * and a reason for whatever is kept. Answers the operation's body: the operator confirms in their name.
 */
function checkConfirmation(input: ConsoleInput, task: TaskRow, form: ConfirmForm): { ok: true; body: Record<string, unknown> } | { ok: false; errors: FieldErrors } {
  const { t } = input.page;
  const errors: FieldErrors = {};
  if (!(task.checklist ?? []).every((step) => form.checklist.includes(step))) errors.checklist = t('privacy.error.checklist');
  const erasing = task.mode !== 'export';
  const deleted = erasing ? form.deleted : [];
  if (deleted.some((category) => !task.categories.includes(category))) errors.deleted = t('error.invalid');
  const kept = erasing ? task.categories.filter((category) => !deleted.includes(category)) : [];
  if (kept.length > 0 && !form.retained_reason) errors.retained_reason = t('privacy.error.kept_reason');
  if (Object.keys(errors).length) return { ok: false, errors };
  const retained = kept.map((category) => ({ category, reason: form.retained_reason }));
  return { ok: true, body: { confirmed_by: input.account.name, deleted, retained, ...(form.note ? { note: form.note } : {}) } };
}

/** A refused form's ticks and text as they came, for drawing it again. */
function typed(body: Record<string, unknown>): ConfirmTyped | undefined {
  const list = (value: unknown) => (value === undefined ? [] : Array.isArray(value) ? value : [value]).map(String).slice(0, 100);
  if (typeof body.task !== 'string') return undefined;
  return { task: body.task, checklist: list(body.checklist), deleted: list(body.deleted), retained_reason: String(body.retained_reason ?? '').slice(0, 500), note: String(body.note ?? '').slice(0, 2000) };
}
