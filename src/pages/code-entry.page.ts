import { html } from '../markup/html.ts';
import { alert, csrfInput, field, layout, type PageContext } from './layout.ts';

export interface CodeEntryPage {
  csrf: string;
  title: string;
  lead: string;
  /** Where the code is posted. */
  action: string;
  /** Where "send a new code" posts (with the address as a hidden field). */
  resendAction: string;
  resendFields: Record<string, string>;
  /** "Use another address" goes back here. */
  backHref: string;
  error?: string;
}

/** Enter the 6-digit code that was sent; autocomplete="one-time-code" lets phones offer it. */
export function codeEntryPage(page: PageContext, view: CodeEntryPage): string {
  const { t } = page;
  return layout(
    page,
    view.title,
    html`<h1>${view.title}</h1>
<p class="lead">${view.lead}</p>
${alert(view.error)}
<form method="post" action="${view.action}" novalidate>
${csrfInput(view.csrf)}
${field({ name: 'code', label: t('code.field'), type: 'text', autocomplete: 'one-time-code', inputMode: 'numeric', maxLength: 12, autofocus: true })}
<button type="submit" class="primary">${t('code.submit')}</button>
</form>
<form method="post" action="${view.resendAction}" class="inline-form">
${csrfInput(view.csrf)}
${Object.entries(view.resendFields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit" class="link">${t('code.resend')}</button>
</form>
<p class="switch"><a href="${view.backHref}">${t('code.other_address')}</a></p>`,
  );
}
