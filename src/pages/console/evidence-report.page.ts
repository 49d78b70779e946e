import { html } from '../../markup/html.ts';
import type { PrivacyReport } from '../../privacy/privacy-report.ts';
import { consoleLayout, when, type ConsolePage } from './console-layout.ts';
import { label, wideTable } from './privacy-texts.ts';

const at = (page: ConsolePage, iso: string | null) => (iso ? when(page, Date.parse(iso)) : '—');

/**
 * The evidence report of a finished request, inside the console and in the operator's language:
 * every system, what it was asked and did, what is kept and why, and the audit chain's head. The
 * record itself is the JSON the API gives (downloadable here); this page only reads it out.
 */
export function evidenceReportPage(page: ConsolePage, report: PrivacyReport): string {
  const { t } = page;
  const { request } = report;
  const rows = report.systems.map(
    (system) => html`<tr data-system="${system.system}">
<th scope="row">${system.name}<br><small>${system.system} · ${label(page, 'privacy.access', system.access)}</small></th>
<td>${label(page, 'privacy.mode', system.mode)}</td>
<td data-state="${system.state}">${label(page, 'privacy.task', system.state)}${system.completed_at ? html`<br><small>${at(page, system.completed_at)}</small>` : ''}</td>
<td>${system.deleted.join(', ') || '—'}</td>
<td>${system.retained.length ? system.retained.map((kept) => html`<div>${t(kept.until ? 'privacy.request.kept_until' : 'privacy.request.kept', { category: kept.category, reason: kept.reason, until: kept.until ?? '' })}</div>`) : '—'}${system.pseudonymized.length ? html`<div><small>${t('privacy.request.pseudonymized', { list: system.pseudonymized.join(', ') })}</small></div>` : ''}</td>
<td>${system.confirmed_by ? html`<div>${t('privacy.request.confirmed_by', { name: system.confirmed_by })}</div>` : ''}${system.exported ? html`<div>${t('privacy.request.exported')}</div>` : ''}${system.note ?? ''}${system.last_error ? html`<div><small>${t('privacy.report.last_error', { error: system.last_error })}</small></div>` : ''}</td>
</tr>`,
  );
  return consoleLayout(page, t('privacy.report.title'), html`<p class="lead">${t('privacy.report.lead', { id: request.id })}</p>
<dl class="facts">
<dt>${t('privacy.request.id')}</dt><dd><code>${request.id}</code> · ${label(page, 'privacy.kind', request.kind)}</dd>
<dt>${t('privacy.request.customer')}</dt><dd>${request.customer_id}</dd>
<dt>${t('privacy.report.outcome')}</dt><dd data-state="${request.state}" id="report-outcome">${label(page, 'privacy.state', request.state)}</dd>
<dt>${t('privacy.request.received')}</dt><dd>${at(page, request.received_at)} (${label(page, 'privacy.request.source', request.source)})</dd>
<dt>${t('privacy.request.verified')}</dt><dd>${at(page, request.verified_at)}${request.verification ? html`<br><small>${request.verification}</small>` : ''}</dd>
<dt>${t('privacy.request.due')}</dt><dd>${at(page, request.due_at)}</dd>
<dt>${t('privacy.request.completed')}</dt><dd>${at(page, request.completed_at)}</dd>
</dl>
${wideTable(t('privacy.request.tasks'), html`<table class="report evidence">
<thead><tr><th scope="col">${t('privacy.request.system')}</th><th scope="col">${t('privacy.request.mode')}</th><th scope="col">${t('privacy.report.outcome')}</th><th scope="col">${t('privacy.confirm.deleted')}</th><th scope="col">${t('privacy.report.kept')}</th><th scope="col">${t('privacy.report.notes')}</th></tr></thead>
<tbody>${rows}</tbody>
</table>`)}
${report.scheduled.length ? html`<h2>${t('privacy.report.scheduled')}</h2><ul>${report.scheduled.map((entry) => html`<li>${t('privacy.report.scheduled_item', { system: entry.system, mode: label(page, 'privacy.mode', entry.mode), date: entry.at.slice(0, 10) })}</li>`)}</ul>` : ''}
<h2>${t('privacy.report.evidence')}</h2>
<p class="hint">${t('privacy.report.evidence_text', { seq: report.audit?.seq ?? '—' })} <code class="hash">${report.audit?.hash ?? '—'}</code></p>
<p><a href="/console/privacy/${request.id}/report.json" download>${t('privacy.request.report_json')}</a> · <a href="/console/privacy/${request.id}">${t('privacy.report.back')}</a></p>`);
}
