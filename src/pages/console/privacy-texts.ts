import type { ConsoleKey } from '../../i18n/console-en.ts';
import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsolePage } from './console-layout.ts';

/** A code as the page's language says it (`privacy.basis.contract`), or the code itself when the console has no text for it. */
export function label(page: ConsolePage, prefix: string, code: string): string {
  const key = `${prefix}.${code}` as ConsoleKey;
  const text = page.t(key);
  return text === key ? code : text;
}

/** A whole number in the page's language (1 234 or 1,234). */
export const count = (page: ConsolePage, value: number) => value.toLocaleString(page.locale === 'sv' ? 'sv-SE' : 'en-GB');

/** A day in the page's language, without the time (due dates). */
export function day(page: ConsolePage, epochMs: number): string {
  return new Date(epochMs).toLocaleDateString(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { timeZone: 'Europe/Stockholm', dateStyle: 'medium' });
}

/** Overdue, said in words and with a sign (never by colour alone). */
export function overdueTag(page: ConsolePage): SafeHtml {
  return html`<span class="tag overdue"><span aria-hidden="true">⚠ </span>${page.t('privacy.overdue')}</span>`;
}

export type TaskCounts = Record<string, number>;

/** How many tasks are in each state, leaving out the states none is in. */
export function taskCountText(page: ConsolePage, counts: TaskCounts): string {
  const parts = Object.entries(counts)
    .filter(([, value]) => value > 0)
    .map(([state, value]) => page.t('privacy.queue.count', { count: value, state: label(page, 'privacy.task', state).toLowerCase() }));
  return parts.length ? parts.join(', ') : page.t('privacy.queue.no_tasks');
}

/**
 * A wide table that scrolls sideways inside its own box on a narrow screen (never the page): the
 * box is a named region that takes focus, so it scrolls from the keyboard too.
 */
export function wideTable(name: string, table: SafeHtml): SafeHtml {
  return html`<div class="table-wrap wide" role="region" tabindex="0" aria-label="${name}">${table}</div>`;
}
