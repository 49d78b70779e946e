import { html, type SafeHtml } from '../../markup/html.ts';
import { csrfInput } from '../layout.ts';
import { consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';
import { consoleTextarea } from './form-controls.ts';
import { confirmForm, type ConfirmTyped } from './manual-task-form.ts';
import type { RequestRow } from './privacy-queue.page.ts';
import { day, label, overdueTag, taskCountText, wideTable } from './privacy-texts.ts';

/** A task as GET /privacy-requests/:id shows it (times in seconds). */
export interface TaskRow {
  id: string;
  system: string;
  system_name: string | null;
  access: string;
  mode: string;
  categories: string[];
  checklist: string[] | null;
  /** Who the system is told the customer is, while the task is open. */
  identifiers?: Record<string, string> | null;
  state: string;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  receipt: unknown;
}

export interface RequestDetail extends RequestRow {
  customer_id: string;
  source: string;
  verified_at: number | null;
  verification: string | null;
  extension_reason: string | null;
  completed_at: number | null;
  tasks: TaskRow[];
}

export interface RequestView {
  csrf: string;
  request: RequestDetail;
  /** What the operator's roles admit. */
  may: { retry: boolean; confirm: boolean; report: boolean; customer: boolean; verify: boolean; extend: boolean };
  /** A refused verification or extension as it was typed. */
  typedStep?: { verification?: string; months?: string; reason?: string };
  notice?: string | undefined;
  errors?: FieldErrors;
  /** A refused confirmation: its task and what was ticked and typed. */
  typed?: ConfirmTyped;
}

/** The finished states, with an evidence report. */
export const FINISHED = ['completed', 'completed_with_exceptions', 'failed'];
/** The states before completion: a request in one may be extended (once). */
const OPEN = ['received', 'verified', 'in_progress'];

/** One request: its dates, every system's task with its state, attempts, last error and receipt, and the operator's actions. */
export function privacyRequestPage(page: ConsolePage, view: RequestView): string {
  const { t } = page;
  const r = view.request;
  const manual = r.tasks.filter((task) => task.state === 'waiting_operator' && task.checklist && view.may.confirm);
  return consoleLayout(page, t(r.kind === 'export' ? 'privacy.request.title.export' : 'privacy.request.title.erasure'), html`${formMessage(view.errors, view.notice)}
${facts(page, view)}
${verifyForm(page, view)}
${report(page, view)}
<section aria-labelledby="tasks-heading"><h2 id="tasks-heading">${t('privacy.request.tasks')}</h2>
<p class="hint">${t('privacy.request.tasks_lead')} ${taskCountText(page, r.task_counts)}</p>
${wideTable(t('privacy.request.tasks'), html`<table class="report tasks">
<thead><tr><th scope="col">${t('privacy.request.system')}</th><th scope="col">${t('privacy.request.mode')}</th><th scope="col">${t('privacy.request.state_col')}</th><th scope="col">${t('privacy.request.attempts')}</th><th scope="col">${t('privacy.request.last_error')}</th><th scope="col">${t('privacy.request.receipt')}</th></tr></thead>
<tbody>${r.tasks.map((task) => taskRow(page, view, task))}</tbody></table>`)}
</section>
${manual.map((task) => confirmForm(page, { csrf: view.csrf, requestId: r.id, task, typed: view.typed?.task === task.id ? view.typed : undefined, errors: view.typed?.task === task.id ? view.errors : undefined }))}
${extendForm(page, view)}
<p><a href="/console/privacy/${r.id}">${t('privacy.request.refresh')}</a> · <a href="/console/privacy">${t('privacy.request.back')}</a></p>`);
}

function facts(page: ConsolePage, view: RequestView): SafeHtml {
  const { t } = page;
  const r = view.request;
  const customer = view.may.customer && r.kind === 'export' ? html`<a href="/console/customers/${r.customer_id}">${r.customer_id}</a>` : r.customer_id;
  return html`<dl class="facts">
<dt>${t('privacy.request.id')}</dt><dd><code>${r.id}</code></dd>
<dt>${t('privacy.request.customer')}</dt><dd>${customer}</dd>
<dt>${t('privacy.request.state')}</dt><dd data-state="${r.state}" id="request-state">${label(page, 'privacy.state', r.state)}</dd>
<dt>${t('privacy.request.source')}</dt><dd>${label(page, 'privacy.request.source', r.source)}</dd>
<dt>${t('privacy.request.received')}</dt><dd>${when(page, r.received_at * 1000)}</dd>
<dt>${t('privacy.request.verified')}</dt><dd>${r.verified_at ? when(page, r.verified_at * 1000) : t('privacy.request.not_yet')}${r.verification ? html`<br><small>${r.verification}</small>` : ''}</dd>
<dt>${t('privacy.request.due')}</dt><dd>${day(page, r.due_at * 1000)}${r.overdue ? html` ${overdueTag(page)}` : ''}</dd>
${r.extension_reason ? html`<dt>${t('privacy.request.extended')}</dt><dd>${r.extension_reason}</dd>` : ''}
<dt>${t('privacy.request.completed')}</dt><dd>${r.completed_at ? when(page, r.completed_at * 1000) : t('privacy.request.not_yet')}</dd>
</dl>`;
}

/** A request waits for the requester to be identified: how they were, and the request fans out. */
function verifyForm(page: ConsolePage, view: RequestView): SafeHtml {
  const { t } = page;
  if (!view.may.verify || view.request.state !== 'received') return html``;
  return html`<section aria-labelledby="verify-heading"><h2 id="verify-heading">${t('privacy.verify.title')}</h2>
<p class="hint">${t('privacy.verify.lead')}</p>
<form method="post" action="/console/privacy/${view.request.id}/verify" class="console-form" novalidate>${csrfInput(view.csrf)}
${consoleTextarea({ name: 'verification', label: t('privacy.verify.how'), hint: t('privacy.verify.how_hint'), rows: 2, value: view.typedStep?.verification ?? '', error: view.errors?.verification })}
<button type="submit" class="primary">${t('privacy.verify.submit')}</button>
</form></section>`;
}

/** Once, before completion: a month or two more, with the reason the customer is told (GDPR Art. 12(3)). */
function extendForm(page: ConsolePage, view: RequestView): SafeHtml {
  const { t } = page;
  const r = view.request;
  if (!view.may.extend || !OPEN.includes(r.state) || r.extension_reason !== null) return html``;
  const months = view.typedStep?.months ?? '1';
  const error = view.errors?.months;
  return html`<section aria-labelledby="extend-heading"><h2 id="extend-heading">${t('privacy.extend.title')}</h2>
<p class="hint">${t('privacy.extend.lead')}</p>
<form method="post" action="/console/privacy/${r.id}/extend" class="console-form" novalidate>${csrfInput(view.csrf)}
<fieldset class="choices"${error ? html` aria-describedby="field-months-error"` : ''}><legend>${t('privacy.extend.months')}</legend>
${['1', '2'].map((value) => html`<label class="check" for="months-${value}"><input type="radio" id="months-${value}" name="months" value="${value}"${value === months ? html` checked` : ''}> ${t(value === '1' ? 'privacy.extend.one_month' : 'privacy.extend.two_months')}</label>`)}
${error ? html`<p class="field-error" id="field-months-error">${error}</p>` : ''}</fieldset>
${consoleTextarea({ name: 'reason', label: t('privacy.extend.reason'), hint: t('privacy.extend.reason_hint'), rows: 3, value: view.typedStep?.reason ?? '', error: view.errors?.reason })}
<button type="submit" class="secondary">${t('privacy.extend.submit')}</button>
</form></section>`;
}

function report(page: ConsolePage, view: RequestView): SafeHtml {
  const { t } = page;
  if (!view.may.report || !FINISHED.includes(view.request.state)) return html``;
  const base = `/console/privacy/${view.request.id}/report`;
  return html`<section aria-labelledby="report-heading"><h2 id="report-heading">${t('privacy.request.report')}</h2>
<p class="hint">${t('privacy.request.report_lead')}</p>
<p><a class="button primary" href="${base}">${t('privacy.request.report_open')}</a> <a href="${base}.json" download>${t('privacy.request.report_json')}</a></p></section>`;
}

function taskRow(page: ConsolePage, view: RequestView, task: TaskRow): SafeHtml {
  const { t } = page;
  const name = task.system_name ?? task.system;
  const retry =
    task.state === 'dead' && view.may.retry
      ? html`<form method="post" action="/console/privacy/${view.request.id}/retry" class="inline-form">${csrfInput(view.csrf)}<input type="hidden" name="task" value="${task.id}"><button type="submit" class="secondary" aria-label="${t('privacy.request.retry_label', { system: name })}">${t('privacy.request.retry')}</button></form>`
      : '';
  const next = task.next_attempt_at ? html`<br><small>${t('privacy.request.next_attempt', { at: when(page, task.next_attempt_at * 1000) })}</small>` : '';
  const told = Object.entries(task.identifiers ?? {}).map(([kind, value]) => `${label(page, 'privacy.identifier', kind)} ${value}`);
  return html`<tr data-task="${task.id}" data-system="${task.system}">
<th scope="row">${name}<br><small>${task.system} · ${label(page, 'privacy.access', task.access)}</small></th>
<td>${label(page, 'privacy.mode', task.mode)}<br><small>${task.categories.join(', ')}</small>${told.length ? html`<br><small data-identifiers>${t('privacy.request.identified_as', { list: told.join(', ') })}</small>` : ''}</td>
<td data-state="${task.state}">${label(page, 'privacy.task', task.state)}${next}${retry}</td>
<td>${task.attempts}</td>
<td>${task.last_error ? html`<span lang="en">${task.last_error}</span>` : t('privacy.request.none')}</td>
<td>${receipt(page, task.receipt)}</td>
</tr>`;
}

interface ReceiptShape {
  deleted?: unknown;
  retained?: unknown;
  pseudonymized?: unknown;
  confirmed_by?: unknown;
  note?: unknown;
  exported?: unknown;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** What a system's receipt says: deleted, kept (and why, until when), pseudonymized, who confirmed, the note. */
function receipt(page: ConsolePage, value: unknown): SafeHtml | string {
  const { t } = page;
  if (!value || typeof value !== 'object') return t('privacy.request.none');
  const r = value as ReceiptShape;
  const kept = (Array.isArray(r.retained) ? r.retained : []) as Array<{ category?: string; reason?: string; until?: string }>;
  const lines = [
    strings(r.deleted).length ? t('privacy.request.deleted', { list: strings(r.deleted).join(', ') }) : '',
    ...kept.map((entry) => t(entry.until ? 'privacy.request.kept_until' : 'privacy.request.kept', { category: entry.category ?? '', reason: entry.reason ?? '', until: entry.until ?? '' })),
    strings(r.pseudonymized).length ? t('privacy.request.pseudonymized', { list: strings(r.pseudonymized).join(', ') }) : '',
    r.exported === true ? t('privacy.request.exported') : '',
    typeof r.confirmed_by === 'string' ? t('privacy.request.confirmed_by', { name: r.confirmed_by }) : '',
    typeof r.note === 'string' ? r.note : '',
  ].filter(Boolean);
  return lines.length ? html`${lines.map((line) => html`<div>${line}</div>`)}` : t('privacy.request.none');
}
