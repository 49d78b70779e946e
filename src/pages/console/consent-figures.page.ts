import type { ConsoleKey } from '../../i18n/console-en.ts';
import { html } from '../../markup/html.ts';
import { consoleLayout, type ConsolePage } from './console-layout.ts';
import { count, wideTable } from './privacy-texts.ts';

interface Counts {
  granted: number;
  granted_outdated: number;
  declined: number;
  withdrawn: number;
}

/** What GET /consent-figures answers for one purpose, with its title when the operator may read the purposes. */
export interface PurposeFigures extends Counts {
  purpose: string;
  purpose_brand: string | null;
  current_version: number;
  by_brand: Array<Counts & { brand: string | null }>;
  title?: string | undefined;
}

const COLUMNS = ['granted', 'granted_outdated', 'declined', 'withdrawn'] as const;

/** Per purpose, a table: all customers, then each brand where decisions were given; granted, granted an outdated version, declined, withdrawn. */
export function consentFiguresPage(page: ConsolePage, purposes: PurposeFigures[]): string {
  const { t } = page;
  return consoleLayout(page, t('privacy.figures.title'), html`<p class="lead">${t('privacy.figures.lead')}</p>
${purposes.length ? purposes.map((purpose) => table(page, purpose)) : html`<p class="empty" role="status">${t('privacy.figures.empty')}</p>`}`);
}

function table(page: ConsolePage, purpose: PurposeFigures) {
  const { t } = page;
  const id = `purpose-${purpose.purpose}`;
  const row = (name: string, counts: Counts, brand: string) =>
    html`<tr data-brand="${brand}"><th scope="row">${name}</th>${COLUMNS.map((column) => html`<td class="number" data-count="${column}">${count(page, counts[column])}</td>`)}</tr>`;
  return html`<section aria-labelledby="${id}" data-purpose="${purpose.purpose}"><h2 id="${id}">${purpose.title ?? purpose.purpose}${purpose.title ? html` <small>(${purpose.purpose})</small>` : ''}</h2>
<p class="hint">${purpose.purpose_brand ? t('privacy.figures.purpose_brand', { brand: purpose.purpose_brand }) : t('privacy.figures.group')} · ${t('privacy.figures.version', { version: purpose.current_version })}</p>
${wideTable(purpose.title ?? purpose.purpose, html`<table class="report figures">
<thead><tr><th scope="col">${t('privacy.figures.where')}</th>${COLUMNS.map((column) => html`<th scope="col" class="number">${t(`privacy.figures.${column}` as ConsoleKey)}</th>`)}</tr></thead>
<tbody>${row(t('privacy.figures.total'), purpose, '*')}${purpose.by_brand.map((entry) => row(entry.brand ?? t('privacy.figures.no_brand'), entry, entry.brand ?? ''))}</tbody>
</table>`)}</section>`;
}
