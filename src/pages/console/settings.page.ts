import { html } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { consoleLayout, type ConsolePage } from './console-layout.ts';

export interface SettingsEntry {
  href: string;
  label: ConsoleKey;
  lead: ConsoleKey;
}

/** The administrator's pages, each with what it is for: the menu's one "Settings" entry opens this. */
export function settingsPage(page: ConsolePage, entries: readonly SettingsEntry[]): string {
  const { t } = page;
  return consoleLayout(page, t('settings.title'), html`<p class="lead">${t('settings.lead')}</p>
<ul class="items">${entries.map((entry) => html`<li class="item"><div><a href="${entry.href}">${t(entry.label)}</a><p class="hint">${t(entry.lead)}</p></div></li>`)}</ul>`);
}
