import { html } from '../../markup/html.ts';
import { consoleLayout, type ConsolePage } from './console-layout.ts';
import { count, label, wideTable } from './privacy-texts.ts';

/** One system on the data map as GET /data-map answers it for all customers. */
export interface DataMapEntry {
  system: string;
  name: string;
  categories: string[];
  legal_basis: string;
  retention: { rule: string; description: string; years: number; fiscal_year_end: string } | null;
  access: string;
  identified_by?: string[];
  customer_count?: number | undefined;
}

/** Every system holding customer data: categories, legal basis, retention, how it is reached and how many customers it holds. */
/** References customers have in a system that is not on the map (from before references were limited to mapped systems). */
export interface UnmappedEntry {
  system: string;
  customer_count?: number;
}

/** A service Portvakt sends customer data to at sign-in (a SAML service provider), as GET /data-map lists it. */
export interface RecipientEntry {
  kind: string;
  key: string;
  name: string;
  receives: string[];
  releases?: string[];
}

export function dataMapPage(page: ConsolePage, systems: DataMapEntry[], unmapped: UnmappedEntry[] = [], recipients: RecipientEntry[] = []): string {
  const { t } = page;
  const body = systems.length
    ? wideTable(t('privacy.map.title'), html`<table class="report data-map">
<thead><tr><th scope="col">${t('privacy.map.system')}</th><th scope="col">${t('privacy.map.categories')}</th><th scope="col">${t('privacy.map.basis')}</th><th scope="col">${t('privacy.map.retention')}</th><th scope="col">${t('privacy.map.access')}</th><th scope="col" class="number">${t('privacy.map.customers')}</th></tr></thead>
<tbody>${systems.map(
        (system) => html`<tr data-system="${system.system}">
<th scope="row">${system.name}<br><small>${system.system}</small></th>
<td>${system.categories.join(', ')}</td>
<td>${label(page, 'privacy.basis', system.legal_basis)}</td>
<td>${system.retention ? t('privacy.map.retention_rule', { description: system.retention.description, years: system.retention.years }) : t('privacy.map.no_retention')}</td>
<td>${label(page, 'privacy.access', system.access)}${system.access !== 'builtin' && system.identified_by?.length ? html`<br><small>${t('privacy.map.knows_by', { list: system.identified_by.map((identifier) => label(page, 'privacy.identifier', identifier)).join(', ') })}</small>` : ''}</td>
<td class="number" data-customer-count="${String(system.customer_count ?? '')}">${system.customer_count === undefined ? '—' : count(page, system.customer_count)}</td>
</tr>`,
      )}</tbody></table>`)
    : html`<p class="empty" role="status">${t('privacy.map.empty')}</p>`;
  const warning = unmapped.length
    ? html`<section class="alert" aria-labelledby="unmapped-heading"><h2 id="unmapped-heading">${t('privacy.map.unmapped_title')}</h2>
<p>${t('privacy.map.unmapped_lead')}</p>
<ul>${unmapped.map((entry) => html`<li data-unmapped="${entry.system}"><code>${entry.system}</code>: ${count(page, entry.customer_count ?? 0)}</li>`)}</ul></section>`
    : '';
  const receiving = recipients.length
    ? html`<h2 id="recipients-heading">${t('privacy.map.recipients_title')}</h2>
<p>${t('privacy.map.recipients_lead')}</p>
<table class="report data-recipients" aria-labelledby="recipients-heading">
<thead><tr><th scope="col">${t('privacy.map.recipient')}</th><th scope="col">${t('privacy.map.categories')}</th><th scope="col">${t('privacy.map.released')}</th></tr></thead>
<tbody>${recipients.map((recipient) => html`<tr data-recipient="${recipient.key}"><th scope="row">${recipient.name}<br><small>${recipient.key}</small></th><td>${recipient.receives.join(', ')}</td><td>${recipient.releases?.join(', ') || '—'}</td></tr>`)}</tbody></table>`
    : '';
  return consoleLayout(page, t('privacy.map.title'), html`<p class="lead">${t('privacy.map.lead')}</p>
${warning}
${body}
${receiving}`);
}
