import { html } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, type ConsolePage, type FieldErrors } from './console-layout.ts';

export interface VerificationView {
  id: string;
  customerId: string;
  channel: 'email' | 'sms' | 'portal';
  status: 'pending' | 'verified' | 'failed' | 'denied' | 'expired';
  csrf: string;
  /** Whether the operator may check a code the caller reads out. */
  canCheck: boolean;
  errors?: FieldErrors;
}

/** What each status reads as; console.js swaps the text when the status changes. */
export const STATUS_TEXT: Record<VerificationView['status'], ConsoleKey> = { pending: 'verification.pending', verified: 'verification.verified', failed: 'verification.failed', denied: 'verification.failed', expired: 'verification.expired' };

/**
 * Identifying a caller: the status turns without a reload (console.js polls the status; without
 * script, the Update link does the same). The code itself is never on this page.
 */
export function verificationPage(page: ConsolePage, view: VerificationView): string {
  const { t } = page;
  const texts = Object.fromEntries(Object.entries(STATUS_TEXT).map(([status, key]) => [status, t(key)]));
  return consoleLayout(page, t('verification.title'), html`${formMessage(view.errors)}
<p class="hint">${t('verification.channel', { channel: t(view.channel === 'portal' ? 'customer.identify_portal' : view.channel === 'sms' ? 'customer.identify_sms' : 'customer.identify_email') })}</p>
<p id="verification-status" class="status status-${view.status}" role="status" aria-live="polite" data-poll="/console/verifications/${view.id}/status" data-status="${view.status}" data-texts="${JSON.stringify(texts)}">${t(STATUS_TEXT[view.status])}</p>
${view.status === 'pending' && view.channel !== 'portal' && view.canCheck
  ? html`<form method="post" action="/console/verifications/${view.id}/check" novalidate>${csrfInput(view.csrf)}
${consoleField({ name: 'code', label: t('verification.code'), autocomplete: 'off', inputMode: 'numeric', error: view.errors?.code })}
<button type="submit" class="primary">${t('verification.check')}</button></form>`
  : ''}
<p><a href="/console/verifications/${view.id}">${t('verification.refresh')}</a> · <a href="/console/customers/${view.customerId}">${t('customer.title')}</a></p>`);
}
