import { html } from '../../markup/html.ts';
import { consoleLayout, when, type ConsolePage } from './console-layout.ts';
import { day, label, overdueTag, taskCountText, wideTable, type TaskCounts } from './privacy-texts.ts';

/** A request as GET /privacy-requests lists it (times in seconds). */
export interface RequestRow {
  id: string;
  kind: 'erasure' | 'export';
  state: string;
  received_at: number;
  due_at: number;
  overdue: boolean;
  task_counts: TaskCounts;
}

export interface QueueView {
  /** open: the work queue by due date; all: every request, newest first. */
  list: 'open' | 'all';
  overdueOnly: boolean;
  requests: RequestRow[];
  /** The address of the next page, when there is one. */
  next?: string | undefined;
  /** Whether this is a later page (a link back to the first). */
  paged: boolean;
}

/** The privacy officer's queue: open requests by due date with the overdue ones first and marked in words, or every request. */
export function privacyQueuePage(page: ConsolePage, view: QueueView): string {
  const { t } = page;
  const tab = (list: QueueView['list'], href: string) =>
    html`<li><a href="${href}"${view.list === list ? html` aria-current="page"` : ''}>${t(list === 'open' ? 'privacy.queue.open' : 'privacy.queue.all')}</a></li>`;
  const filter =
    view.list === 'open'
      ? html`<form method="get" action="/console/privacy" class="queue-filter">
<label class="check" for="field-overdue"><input type="checkbox" id="field-overdue" name="overdue" value="1"${view.overdueOnly ? html` checked` : ''}> ${t('privacy.queue.overdue_only')}</label>
<button type="submit" class="secondary">${t('privacy.queue.filter')}</button>
</form>`
      : '';
  const empty = view.list === 'all' ? 'privacy.queue.empty_all' : view.overdueOnly ? 'privacy.queue.empty_overdue' : 'privacy.queue.empty';
  const base = view.list === 'all' ? '/console/privacy?list=all' : `/console/privacy${view.overdueOnly ? '?overdue=1' : ''}`;
  return consoleLayout(page, t('privacy.queue.title'), html`<p class="lead">${t(view.list === 'all' ? 'privacy.queue.all_lead' : 'privacy.queue.lead')}</p>
<nav aria-label="${t('privacy.queue.title')}"><ul class="tabs">${tab('open', '/console/privacy')}${tab('all', '/console/privacy?list=all')}</ul></nav>
${filter}
${view.requests.length ? table(page, view) : html`<p class="empty" role="status">${t(empty)}</p>`}
<p class="paging">${view.next ? html`<a class="button secondary" href="${view.next}">${t('privacy.queue.more')}</a> ` : ''}${view.paged ? html`<a href="${base}">${t('privacy.queue.first')}</a>` : ''}</p>`);
}

function table(page: ConsolePage, view: QueueView) {
  const { t } = page;
  return wideTable(t(view.list === 'all' ? 'privacy.queue.all' : 'privacy.queue.open'), html`<table class="report queue">
<thead><tr><th scope="col">${t('privacy.queue.due')}</th><th scope="col">${t('privacy.queue.request')}</th><th scope="col">${t('privacy.queue.state')}</th><th scope="col">${t('privacy.queue.tasks')}</th><th scope="col">${t('privacy.queue.received')}</th></tr></thead>
<tbody>${view.requests.map(
    (request) => html`<tr data-request="${request.id}"${request.overdue ? html` class="overdue" data-overdue="true"` : ''}>
<td>${day(page, request.due_at * 1000)}${request.overdue ? html` ${overdueTag(page)}` : ''}</td>
<th scope="row"><a href="/console/privacy/${request.id}">${label(page, 'privacy.kind', request.kind)}</a><br><small>${request.id}</small></th>
<td data-state="${request.state}">${label(page, 'privacy.state', request.state)}</td>
<td>${taskCountText(page, request.task_counts)}</td>
<td>${when(page, request.received_at * 1000)}</td>
</tr>`,
  )}</tbody></table>`);
}
