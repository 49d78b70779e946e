import { html, type SafeHtml } from './html.ts';
import type { Locale, Translate } from './locale.ts';

export interface PageContext {
  locale: Locale;
  t: Translate;
}

/** The frame of every hosted page: no inline script or style, so the CSP can stay strict. */
export function layout(page: PageContext, title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · ${page.t('brand.name')}</title>
<link rel="stylesheet" href="/assets/portvakt.css">
</head>
<body>
<main class="card">
<p class="brand">${page.t('brand.name')}</p>
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

export function csrfInput(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}
