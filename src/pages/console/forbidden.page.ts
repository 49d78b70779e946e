import { html } from '../../markup/html.ts';
import { consoleLayout, type ConsolePage } from './console-layout.ts';

/** 403: what the operator's roles do not admit (the menu never links here), or an expired form. */
export function forbiddenPage(page: ConsolePage, reason?: string): string {
  return consoleLayout(page, page.t('forbidden.title'), html`<p class="alert" role="alert">${reason ?? page.t('forbidden.lead')}</p>
<p><a href="/console">${page.t('console.nav.home')}</a></p>`);
}
