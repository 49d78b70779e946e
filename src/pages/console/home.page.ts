import { html } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { consoleLayout, type ConsolePage } from './console-layout.ts';

const LEADS: Record<string, ConsoleKey> = {
  '/console/customers': 'home.customers',
  '/console/privacy': 'home.privacy',
  '/console/data-map': 'home.data_map',
  '/console/consent-figures': 'privacy.home.consent_figures',
  '/console/audit': 'privacy.home.audit',
  '/console/operators': 'home.operators',
  '/console/settings': 'settings.home',
};

/** The start page: what the operator's roles let them do (the menu's entries, explained). */
export function homePage(page: ConsolePage): string {
  const { t } = page;
  const entries = (page.operator?.nav ?? []).filter((item) => LEADS[item.href]);
  return consoleLayout(page, t('home.title'), html`<p class="lead">${t('home.lead')}</p>
<ul class="items">${entries.map((item) => html`<li class="item"><div><a href="${item.href}">${t(item.label)}</a><p class="hint">${t(LEADS[item.href]!)}</p></div></li>`)}</ul>`);
}
