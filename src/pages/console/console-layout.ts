import type { ConsoleKey } from '../../i18n/console-en.ts';
import type { ConsoleTranslate } from '../../i18n/console-locale.ts';
import type { Locale } from '../../i18n/locale.ts';
import { html, type SafeHtml } from '../../markup/html.ts';
import { csrfInput } from '../layout.ts';

/** One entry of the console's menu, shown only when the operator's roles admit its operation. */
export interface NavItem {
  href: string;
  label: ConsoleKey;
  /** Further pages this entry stands for (the settings pages under "Settings"): it is current on them too. */
  covers?: readonly string[];
}

export interface ConsolePage {
  locale: Locale;
  t: ConsoleTranslate;
  /** The path of this page (the menu marks it; the language switch returns to it). */
  path: string;
  /** The signed-in operator, with the menu their roles admit and a CSRF token for the sign-out form; absent on sign-in pages. */
  operator?: { name: string; roles: string[]; nav: NavItem[]; csrf: string };
}

/** Field errors by field name, already in the page's language; `''` is the form's own error. */
export type FieldErrors = Record<string, string>;

/**
 * The frame of every console page: the hosted pages' stylesheet and CSP (no inline script or
 * style), a skip link, the menu the operator's roles admit, who is signed in and the sign-out.
 */
export function consoleLayout(page: ConsolePage, title: string, body: SafeHtml): string {
  const { t } = page;
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · ${t('console.product')}</title>
<link rel="stylesheet" href="/assets/portvakt.css">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/passkeys.js" defer></script>
<script src="/assets/console.js" defer></script>
</head>
<body class="console">
<a class="skip" href="#main">${t('console.skip')}</a>
<header class="console-header">
<p class="product"><a href="/console">${t('console.product')}</a></p>
${page.operator ? menu(page) : ''}
<p class="language"><a href="${page.path}?lang=${page.locale === 'sv' ? 'en' : 'sv'}" lang="${page.locale === 'sv' ? 'en' : 'sv'}">${t('console.language')}</a></p>
</header>
<main id="main" class="console-main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.value;
}

function menu(page: ConsolePage): SafeHtml {
  const { t, operator } = page;
  if (!operator) return html``;
  return html`<nav aria-label="${t('console.nav')}"><ul>
${operator.nav.map((item) => html`<li><a href="${item.href}"${[item.href, ...(item.covers ?? [])].some((href) => isCurrent(page.path, href)) ? html` aria-current="page"` : ''}>${t(item.label)}</a></li>`)}
</ul></nav>
<div class="who"><p>${t('console.signed_in_as', { name: operator.name, roles: operator.roles.map((role) => t(`role.${role}` as ConsoleKey)).join(', ') })}</p>
<form method="post" action="/console/sign-out">${csrfInput(operator.csrf)}<button type="submit" class="link">${t('console.sign_out')}</button></form></div>`;
}

const isCurrent = (path: string, href: string) => (href === '/console' ? path === '/console' : path === href || path.startsWith(`${href}/`));

/** A labelled input with its error under it (announced, and tied to the input for screen readers). */
export function consoleField(options: { name: string; label: string; type?: 'text' | 'email' | 'password' | 'tel' | 'search'; value?: string; autocomplete?: string; required?: boolean; hint?: string; inputMode?: 'numeric'; error?: string | undefined }): SafeHtml {
  const id = `field-${options.name}`;
  const described = [options.hint ? `${id}-hint` : '', options.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
<label for="${id}">${options.label}</label>
<input id="${id}" name="${options.name}" type="${options.type ?? 'text'}"${options.value ? html` value="${options.value}"` : ''}${options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ''}${options.required === false ? '' : html` required`}${options.inputMode ? html` inputmode="${options.inputMode}"` : ''}${described ? html` aria-describedby="${described}"` : ''}${options.error ? html` aria-invalid="true"` : ''}>
${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
${options.error ? html`<p class="field-error" id="${id}-error">${options.error}</p>` : ''}
</div>`;
}

/** The form's own error (not a field's), or a confirmation. */
export function formMessage(errors: FieldErrors | undefined, notice?: string): SafeHtml {
  if (errors?.['']) return html`<p class="alert" role="alert">${errors['']}</p>`;
  return notice ? html`<p class="notice" role="status">${notice}</p>` : html``;
}

/** A date and time in the page's language (Stockholm time: the group's). */
export function when(page: ConsolePage, epochMs: number): string {
  return new Date(epochMs).toLocaleString(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { timeZone: 'Europe/Stockholm', dateStyle: 'medium', timeStyle: 'short' });
}
