import type { ConsoleKey } from '../../i18n/console-en.ts';
import { html } from '../../markup/html.ts';
import { consoleLayout, when, type ConsolePage } from './console-layout.ts';
import { count } from './privacy-texts.ts';

/** What GET /audit/verify answers. */
export interface ChainCheck {
  ok: boolean;
  entries: number;
  broken_at?: number | undefined;
  problem?: string | undefined;
}

/** The audit chain check: a button that runs it, and its result (intact with the entry count, or where it broke and how). */
export function auditCheckPage(page: ConsolePage, check?: { result: ChainCheck; at: number }): string {
  const { t } = page;
  return consoleLayout(page, t('privacy.audit.title'), html`<p class="lead">${t('privacy.audit.lead')}</p>
<form method="get" action="/console/audit">
<input type="hidden" name="check" value="1">
<button type="submit" class="primary">${t('privacy.audit.run')}</button>
</form>
${check ? result(page, check.result, check.at) : ''}`);
}

function result(page: ConsolePage, result: ChainCheck, at: number) {
  const { t } = page;
  const checked = html`<p class="hint">${t('privacy.audit.checked_at', { at: when(page, at) })}</p>`;
  if (result.ok) return html`<section class="chain-check" data-ok="true"><p class="notice" role="status"><span aria-hidden="true">✓ </span>${t('privacy.audit.ok', { entries: count(page, result.entries) })}</p>${checked}</section>`;
  const seq = String(result.broken_at ?? '');
  const problem = `privacy.audit.problem.${result.problem}` as ConsoleKey;
  const said = t(problem, { seq });
  return html`<section class="chain-check" data-ok="false" data-broken-at="${seq}"><div class="alert" role="alert"><p><span aria-hidden="true">✗ </span>${t('privacy.audit.broken', { seq, entries: count(page, result.entries) })}</p>${said === problem ? '' : html`<p>${said}</p>`}</div>${checked}</section>`;
}
