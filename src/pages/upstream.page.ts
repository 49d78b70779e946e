import { html } from '../markup/html.ts';
import { csrfInput, field, layout, type PageContext } from './layout.ts';

export interface UpstreamConfirmView {
  uid: string;
  csrf: string;
  connection: string;
  clientName: string;
  email: string;
  givenName: string | null;
  familyName: string | null;
}

export interface UpstreamLinkCodeView {
  uid: string;
  csrf: string;
  connection: string;
  email: string;
  /** Why this step is asked, in words. */
  notice: string;
}

/**
 * An upstream identity whose address nobody vouched for links only after a code sent to that
 * address: the page offers that code and nothing else that signs in (a password or passkey would
 * sign the person in and link nothing), plus a way to give up connecting it.
 */
export function upstreamLinkCodePage(page: PageContext, view: UpstreamLinkCodeView): string {
  const { t } = page;
  return layout(
    page,
    t('upstream.link_code.title'),
    html`<h1>${t('upstream.link_code.title')}</h1>
<p class="notice" role="status">${view.notice}</p>
<form method="post" action="/login/${view.uid}/email-code" novalidate>
${csrfInput(view.csrf)}
<input type="hidden" name="intent" value="sign_in">
<input type="hidden" name="email" value="${view.email}">
<button type="submit" class="primary">${t('upstream.link_code.send', { email: view.email })}</button>
</form>
<form method="post" action="/login/${view.uid}/upstream/link/cancel" novalidate>
${csrfInput(view.csrf)}
<button type="submit" class="secondary">${t('upstream.link_code.cancel', { connection: view.connection })}</button>
</form>`,
  );
}

/** Joining with an upstream identity: the details it gave, prefilled, confirmed on one screen. */
export function upstreamConfirmPage(page: PageContext, view: UpstreamConfirmView): string {
  const { t } = page;
  return layout(
    page,
    t('upstream.confirm.title'),
    html`<h1>${t('upstream.confirm.title')}</h1>
<p class="lead">${t('upstream.confirm.lead', { connection: view.connection, client: view.clientName })}</p>
<p>${t('upstream.confirm.email', { email: view.email })}</p>
<form method="post" action="/login/${view.uid}/upstream/confirm" novalidate>
${csrfInput(view.csrf)}
${field({ name: 'given_name', label: t('field.given_name'), type: 'text', autocomplete: 'given-name', value: view.givenName ?? undefined, maxLength: 100, required: false })}
${field({ name: 'family_name', label: t('field.family_name'), type: 'text', autocomplete: 'family-name', value: view.familyName ?? undefined, maxLength: 100, required: false })}
<button type="submit" class="primary">${t('signup.continue')}</button>
</form>`,
  );
}
