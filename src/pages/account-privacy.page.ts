import type { MessageKey } from '../i18n/en.ts';
import { html } from '../markup/html.ts';
import { categoryWords } from './data-category.ts';
import { csrfInput, layout, type PageContext } from './layout.ts';

export interface PrivacyView {
  csrf: string;
  /** The sign-in is recent enough to confirm a request (otherwise the buttons lead through a new sign-in). */
  fresh: boolean;
  /** Every system on the data map, with the customer's id there where it is known. */
  systems: Array<{ name: string; categories: string[]; hold: string | null; reference: string | null }>;
  requests: Array<{ id: string; kind: 'erasure' | 'export'; state: string; receivedAt: number; dueAt: number }>;
  notice?: string;
}

/** /account/privacy: where the customer's data is, a download of all of it, and deleting the account everywhere. */
export function accountPrivacyPage(page: PageContext, view: PrivacyView): string {
  const { t } = page;
  const day = (epochMs: number) => new Intl.DateTimeFormat(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { dateStyle: 'medium', timeZone: 'Europe/Stockholm' }).format(epochMs);
  const open = (kind: 'erasure' | 'export') => view.requests.some((request) => request.kind === kind && ['received', 'verified', 'in_progress'].includes(request.state));
  return layout(
    page,
    t('privacy.title'),
    html`<h1>${t('privacy.title')}</h1>
<p class="lead">${t('privacy.lead')}</p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
<h2>${t('privacy.where')}</h2>
<ul class="systems">${view.systems.map(
      (system) => html`<li><p class="purpose-title">${system.name}</p><ul class="hint categories">${system.categories.map((category) => html`<li>${categoryWords(page, category)}</li>`)}</ul>${system.reference ? html`<p class="hint">${t('privacy.reference', { reference: system.reference })}</p>` : ''}${system.hold ? html`<p class="hint">${t('privacy.hold', { rule: system.hold })}</p>` : ''}</li>`,
    )}</ul>
${
  view.requests.length
    ? html`<h2>${t('privacy.requests')}</h2>
<ul class="history">${view.requests.map(
        (request) =>
          html`<li data-request="${request.id}">${t('privacy.request.entry', { kind: t(`privacy.kind.${request.kind}` as MessageKey), state: t(`privacy.state.${request.state}` as MessageKey), received: day(request.receivedAt), due: day(request.dueAt) })}</li>`,
      )}</ul>`
    : ''
}
<h2>${t('privacy.export.title')}</h2>
<p class="hint">${t('privacy.export.lead')}</p>
${
  open('export')
    ? html`<p class="hint">${t('privacy.export.pending')}</p>`
    : html`<form method="post" action="/account/privacy/export">
${csrfInput(view.csrf)}
<button type="submit" class="secondary">${t('privacy.export.button')}</button>
</form>`
}
<h2>${t('privacy.erasure.title')}</h2>
<p class="hint">${t('privacy.erasure.lead')}</p>
${
  open('erasure')
    ? html`<p class="hint">${t('privacy.erasure.pending')}</p>`
    : html`<form method="post" action="/account/privacy/erasure">
${csrfInput(view.csrf)}
<label class="check"><input type="checkbox" name="confirm" value="yes" required> <span>${t('privacy.erasure.confirm')}</span></label>
<button type="submit" class="primary">${t('privacy.erasure.button')}</button>
</form>`
}
${view.fresh ? '' : html`<p class="hint">${t('privacy.reauth')}</p>`}
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
