import type { BrandTemplates } from '../messaging/templates/brand-templates.ts';
import { html, type SafeHtml } from '../markup/html.ts';
import type { Locale, Translate } from '../i18n/locale.ts';

export interface PageContext {
  locale: Locale;
  t: Translate;
  /** The brand of the client the page is for: its name, colours and logo instead of the group's. */
  brand?: { key: string; name: string; version: number; hasLogo: boolean; sender: string | null; templates?: BrandTemplates } | undefined;
}

/**
 * The frame of every hosted page: no inline script or style, so the CSP can stay strict. The one
 * script (passkeys) only enhances buttons that are hidden until it runs.
 */
/** `wide`: a page of records (a report with a table) rather than a form. */
export function layout(page: PageContext, title: string, body: SafeHtml, options: { wide?: boolean } = {}): string {
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · ${page.brand?.name ?? page.t('brand.name')}</title>
<link rel="stylesheet" href="/assets/portvakt.css">
${page.brand ? html`<link rel="stylesheet" href="/assets/brands/${page.brand.key}.css?v=${page.brand.version}">` : ''}
<script src="/assets/passkeys.js" defer></script>
</head>
<body>
<main class="${options.wide ? 'card wide' : 'card'}">
${
  page.brand?.hasLogo
    ? html`<p class="brand"><img class="logo" src="/assets/brands/${page.brand.key}/logo?v=${page.brand.version}" alt="${page.brand.name}"></p>`
    : html`<p class="brand">${page.brand?.name ?? page.t('brand.name')}</p>`
}
${body}
</main>
</body>
</html>
`.value;
}

export function alert(message: string | undefined): SafeHtml {
  return message ? html`<p class="alert" role="alert">${message}</p>` : html``;
}

export interface FieldOptions {
  name: string;
  label: string;
  type: 'email' | 'password' | 'text';
  autocomplete: string;
  value?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  hint?: string;
  autofocus?: boolean;
  /** `numeric` for codes: the phone shows a digit pad. */
  inputMode?: 'numeric';
}

export function field(options: FieldOptions): SafeHtml {
  const id = `field-${options.name}`;
  const hintId = options.hint ? `${id}-hint` : undefined;
  return html`<label for="${id}">${options.label}</label>
<input id="${id}" name="${options.name}" type="${options.type}" autocomplete="${options.autocomplete}"${
    options.value ? html` value="${options.value}"` : ''
  }${options.required === false ? '' : html` required`}${options.minLength ? html` minlength="${options.minLength}"` : ''}${
    options.maxLength ? html` maxlength="${options.maxLength}"` : ''
  }${hintId ? html` aria-describedby="${hintId}"` : ''}${options.autofocus ? html` autofocus` : ''}${
    options.type === 'email' ? html` inputmode="email" autocapitalize="none" spellcheck="false"` : ''
  }${options.inputMode ? html` inputmode="${options.inputMode}" spellcheck="false"` : ''}>
${hintId ? html`<p class="hint" id="${hintId}">${options.hint}</p>` : ''}`;
}

/** A hidden form the passkey script fills with the browser's answer and submits, and its button. */
export function passkeyButton(options: { mode: 'sign-in' | 'register'; action: string; optionsUrl: string; csrf: string; label: string; failure: string; primary?: boolean }): SafeHtml {
  const id = `passkey-${options.mode}`;
  return html`<form id="${id}-form" method="post" action="${options.action}" hidden>
${csrfInput(options.csrf)}
<input type="hidden" name="response" value="">
</form>
<button type="button" class="${options.primary ? 'primary' : 'secondary'}" data-passkey="${options.mode}" data-options="${options.optionsUrl}" data-form="${id}-form" data-failure="${id}-failed" hidden>${options.label}</button>
<p id="${id}-failed" class="alert" role="alert" hidden>${options.failure}</p>`;
}

/**
 * The first submit button of a form is the one Enter presses. Forms with consent choices put
 * "accept all" and "reject all" before their main button, so without this, Enter in the e-mail
 * field would accept everything. This plain "continue", first in the form and off-screen (not
 * focusable, hidden from assistive technology), takes Enter instead.
 */
export function implicitSubmit(): SafeHtml {
  return html`<button type="submit" class="implicit-submit" tabindex="-1" aria-hidden="true"></button>`;
}

export function csrfInput(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}
