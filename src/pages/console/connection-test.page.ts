import type { ConsoleKey } from '../../i18n/console-en.ts';
import { consoleTranslator } from '../../i18n/console-locale.ts';
import { html } from '../../markup/html.ts';
import { csrfInput } from '../layout.ts';
import { consoleLayout, type ConsolePage } from './console-layout.ts';

/** What `POST /connections/{key}/tests/{test}/result` answered, or why there is nothing to show. */
export type TestOutcome =
  | { outcome: 'passed'; subject: string; email: string | null; email_verified: boolean; email_trusted: boolean; given_name: string | null; family_name: string | null; linked: boolean }
  | { outcome: 'failed'; reason: string; cause: string | null }
  | { outcome: 'used' | 'waiting' };

/** A refusal's cause in words (a code the console has no words for is "unknown"). */
export function causeText(page: ConsolePage, cause: string | null | undefined): string {
  const key = `settings.connections.cause.${cause ?? 'unknown'}` as ConsoleKey;
  const text = page.t(key);
  return text === key ? page.t('settings.connections.cause.unknown') : text;
}

/** What a test of a connection found: who the provider says signed in, or why it failed. Nothing of it is kept. */
export function connectionTestPage(page: ConsolePage, view: { csrf: string; key: string; name: string; result: TestOutcome; canTest: boolean }): string {
  const { t } = page;
  const { result } = view;
  const again = view.canTest
    ? html`<form method="post" action="/console/connections/${view.key}/test" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="${result.outcome === 'passed' ? 'secondary' : 'primary'}">${t('settings.connections.result.again')}</button></form>`
    : '';
  const back = html`<p><a href="/console/connections/${view.key}">${view.name}</a></p>`;
  if (result.outcome !== 'passed' && result.outcome !== 'failed') {
    return consoleLayout(page, t('settings.connections.result.title', { name: view.name }), html`<p class="alert" role="alert">${t(result.outcome === 'used' ? 'settings.connections.result.used' : 'settings.connections.result.waiting')}</p>${again}${back}`);
  }
  if (result.outcome === 'failed') {
    const reason = t(`settings.connections.result.reason.${result.reason}` as ConsoleKey);
    return consoleLayout(page, t('settings.connections.result.title', { name: view.name }), html`<p class="alert" role="alert">${t('settings.connections.result.failed')} ${reason.startsWith('settings.') ? t('settings.connections.result.reason.invalid') : reason}</p>
${result.cause ? html`<dl class="facts"><dt>${t('settings.connections.result.cause')}</dt><dd>${causeText(page, result.cause)}</dd></dl>` : ''}
${again}${back}`);
  }
  const name = [result.given_name, result.family_name].filter(Boolean).join(' ');
  return consoleLayout(page, t('settings.connections.result.title', { name: view.name }), html`<p class="notice" role="status">${t('settings.connections.result.passed')}</p>
<dl class="facts">
<dt>${t('settings.connections.result.subject')}</dt><dd><code>${result.subject}</code></dd>
<dt>${t('settings.connections.result.email')}</dt><dd>${result.email ? html`${result.email} (${t(result.email_verified ? 'settings.connections.result.verified' : 'settings.connections.result.unverified')})` : '—'}</dd>
${name ? html`<dt>${t('settings.connections.result.name')}</dt><dd>${name}</dd>` : ''}
</dl>
<ul class="plain">
${result.email ? html`<li>${t(result.email_trusted ? 'settings.connections.result.trusted' : 'settings.connections.result.untrusted')}</li>` : html`<li class="alert">${t('settings.connections.result.no_email')}</li>`}
${result.linked ? html`<li>${t('settings.connections.result.linked')}</li>` : ''}
</ul>
${again}${back}`);
}

/**
 * The page the provider's answer to a test lands on (at the connection's callback URL): on to the
 * console's result page at once (console.js follows the link), or by the link without script.
 */
export function connectionTestReturnPage(locale: 'sv' | 'en', resultPath: string): string {
  const t = consoleTranslator(locale);
  const page: ConsolePage = { locale, t, path: resultPath };
  return consoleLayout(page, t('settings.connections.return.title'), html`<p class="lead">${t('settings.connections.return.lead')}</p>
<p><a class="button primary inline" data-follow href="${resultPath}">${t('settings.connections.return.link')}</a></p>`);
}
