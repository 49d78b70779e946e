import type { PrivacyReport } from '../privacy/privacy-report.ts';
import { html } from '../markup/html.ts';
import { layout, type PageContext } from './layout.ts';

/**
 * The evidence report of a privacy request as a page a person (a data protection officer, an
 * auditor, the customer) can read: every system, what it did and when, what is kept, why and until
 * when, and the audit chain's head at completion. In English: it is the company's record.
 */
export function privacyReportPage(page: PageContext, report: PrivacyReport): string {
  const { request } = report;
  const rows = report.systems.map(
    (system) => html`<tr data-system="${system.system}">
<td>${system.name}<br><small>${system.system} · ${system.access}</small></td>
<td>${system.mode}</td>
<td>${system.state === 'not_identified' ? 'not identified: never told who the customer is, nothing done there' : system.state}${system.completed_at ? html`<br><small>${system.completed_at}</small>` : ''}</td>
<td>${system.deleted.join(', ') || '—'}</td>
<td>${system.retained.length ? system.retained.map((kept) => html`<div>${kept.category}: ${kept.reason}${kept.until ? ` (until ${kept.until})` : ''}</div>`) : '—'}${system.pseudonymized.length ? html`<div><small>pseudonymized: ${system.pseudonymized.join(', ')}</small></div>` : ''}</td>
<td>${system.confirmed_by ? html`<div>confirmed by ${system.confirmed_by}</div>` : ''}${system.note ?? ''}${system.last_error ? html`<div><small>${system.state === 'not_identified' ? 'why' : 'last error'}: ${system.last_error}</small></div>` : ''}</td>
</tr>`,
  );
  return layout(
    page,
    `Privacy request ${request.id}`,
    html`<h1>Privacy request: ${request.kind}</h1>
<dl class="facts">
<dt>Request</dt><dd>${request.id}</dd>
<dt>Customer (pseudonymous id)</dt><dd>${request.customer_id}</dd>
<dt>Outcome</dt><dd data-state="${request.state}">${request.state.replaceAll('_', ' ')}</dd>
<dt>Received</dt><dd>${request.received_at} (${request.source})</dd>
<dt>Verified</dt><dd>${request.verified_at ?? '—'}${request.verification ? `: ${request.verification}` : ''}</dd>
<dt>Due</dt><dd>${request.due_at}</dd>
<dt>Completed</dt><dd>${request.completed_at}</dd>
</dl>
<div class="table-wrap"><table class="report">
<thead><tr><th>System</th><th>Asked to</th><th>Outcome</th><th>Deleted</th><th>Kept</th><th>Notes</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
${
  report.scheduled.length
    ? html`<h2>Scheduled</h2><ul>${report.scheduled.map((entry) => html`<li>${entry.system}: ${entry.mode} on ${entry.at.slice(0, 10)}, when its legal hold ends</li>`)}</ul>`
    : ''
}
<h2>Evidence</h2>
<p class="hint">This report's SHA-256 is in the audit log (entry ${report.audit?.seq ?? '—'}); the chain's head after it was <code>${report.audit?.hash ?? '—'}</code>. <code>portvakt audit verify</code> re-computes the chain.</p>`,
    { wide: true },
  );
}
