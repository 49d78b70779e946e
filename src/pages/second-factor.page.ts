import { html, trusted } from '../markup/html.ts';
import { alert, csrfInput, field, layout, type PageContext } from './layout.ts';

/** Second step of a sign-in: a TOTP code or a recovery code. */
export function secondFactorPage(page: PageContext, view: { action: string; csrf: string; error?: string }): string {
  const { t } = page;
  return layout(
    page,
    t('mfa.title'),
    html`<h1>${t('mfa.title')}</h1>
<p class="lead">${t('mfa.lead')}</p>
${alert(view.error)}
<form method="post" action="${view.action}" novalidate>
${csrfInput(view.csrf)}
${field({ name: 'code', label: t('mfa.field'), type: 'text', autocomplete: 'one-time-code', maxLength: 40, autofocus: true })}
<button type="submit" class="primary">${t('mfa.submit')}</button>
</form>`,
  );
}

export interface TotpEnrolmentView {
  action: string;
  csrf: string;
  lead: string;
  ticket: string;
  secret: string;
  /** SVG from the qrcode library (no script; checked in totp-qr.ts). */
  qrSvg: string;
  error?: string;
}

/** Scan the QR code (or type the key), then prove it with the first code. */
export function totpEnrolmentPage(page: PageContext, view: TotpEnrolmentView): string {
  const { t } = page;
  return layout(
    page,
    t('mfa.enrol.title'),
    html`<h1>${t('mfa.enrol.title')}</h1>
<p class="lead">${view.lead}</p>
${alert(view.error)}
<div class="qr" role="img" aria-label="QR">${trusted(view.qrSvg)}</div>
<p class="hint">${t('mfa.enrol.manual')}</p>
<p class="secret"><code data-totp-secret>${view.secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
<form method="post" action="${view.action}" novalidate>
${csrfInput(view.csrf)}
<input type="hidden" name="ticket" value="${view.ticket}">
${field({ name: 'code', label: t('mfa.field'), type: 'text', autocomplete: 'one-time-code', inputMode: 'numeric', maxLength: 12 })}
<button type="submit" class="primary">${t('mfa.enrol.submit')}</button>
</form>`,
  );
}

/** The recovery codes, shown once, and a button to go on. */
export function recoveryCodesPage(page: PageContext, view: { action: string; csrf: string; codes: string[] }): string {
  const { t } = page;
  return layout(
    page,
    t('mfa.codes.title'),
    html`<h1>${t('mfa.codes.title')}</h1>
<p class="lead">${t('mfa.codes.lead')}</p>
<ul class="recovery-codes">${view.codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<form method="post" action="${view.action}">
${csrfInput(view.csrf)}
<button type="submit" class="primary">${t('mfa.codes.continue')}</button>
</form>`,
  );
}
