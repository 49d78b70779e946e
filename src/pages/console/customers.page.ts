import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { consoleField, consoleLayout, formMessage, type ConsolePage, type FieldErrors } from './console-layout.ts';

export const SEARCH_KINDS = ['email', 'phone', 'ref', 'name'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

export interface CustomerRow {
  id: string;
  email: string;
  phone_number: string | null;
  given_name: string | null;
  family_name: string | null;
  status: string;
}

export interface SearchView {
  kind: SearchKind;
  q: string;
  /** Undefined before a search. */
  results?: CustomerRow[];
  /** The address of the next page, when there is one. */
  next?: string | undefined;
  errors?: FieldErrors;
}

/** Find a customer: by e-mail, phone, reference or the start of a name; results a page at a time. */
export function customersPage(page: ConsolePage, view: SearchView): string {
  const { t } = page;
  return consoleLayout(page, t('customers.title'), html`<p class="lead">${t('customers.lead')}</p>
${formMessage(view.errors)}
<form method="get" action="/console/customers" class="search" role="search">
<div class="field"><label for="field-kind">${t('customers.kind')}</label>
<select id="field-kind" name="kind">${SEARCH_KINDS.map((kind) => html`<option value="${kind}"${kind === view.kind ? html` selected` : ''}>${t(`customers.kind.${kind}` as ConsoleKey)}</option>`)}</select></div>
${consoleField({ name: 'q', label: t('customers.query'), type: 'search', value: view.q, autocomplete: 'off', error: view.errors?.q })}
<button type="submit" class="primary">${t('customers.submit')}</button>
</form>
${results(page, view)}`);
}

function results(page: ConsolePage, view: SearchView): SafeHtml {
  const { t } = page;
  if (!view.results) return html`<p class="empty">${t('customers.empty')}</p>`;
  if (view.results.length === 0) return html`<p class="empty" role="status">${t('customers.none')}</p>`;
  return html`<div class="table-wrap"><table class="report">
<thead><tr><th scope="col">${t('operators.name')}</th><th scope="col">${t('customer.email')}</th><th scope="col">${t('customer.phone')}</th><th scope="col">${t('customer.status')}</th></tr></thead>
<tbody>${view.results.map((row) => html`<tr><td><a href="/console/customers/${row.id}">${[row.given_name, row.family_name].filter(Boolean).join(' ') || row.email}</a></td><td>${row.email}</td><td>${row.phone_number ?? ''}</td><td>${row.status}</td></tr>`)}</tbody>
</table></div>
${view.next ? html`<p><a class="button secondary" href="${view.next}">${t('customers.more')}</a></p>` : ''}`;
}
