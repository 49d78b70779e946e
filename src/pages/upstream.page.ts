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
