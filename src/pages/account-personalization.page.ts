import { html } from '../markup/html.ts';
import { csrfInput, layout, type PageContext } from './layout.ts';

export interface PersonalizationView {
  csrf: string;
  /** Whether the customer's grant of the gating purpose counts now. */
  consented: boolean;
  /** The gating purpose's title and current version (the withdrawal records that version). */
  purpose: { key: string; title: string; version: number } | null;
  /** How many reported events are kept, and for how long at most. */
  signals: number;
  retentionDays: number;
  segments: Array<{ key: string; title: string; reason: string; dated: number | null }>;
  notice?: string;
}

/**
 * /account/personalization: in plain words, which groups (segments) the customer is in and why
 * ("You bought a fridge on 3 March"), what is kept about what they did, and the withdrawal one
 * click away — withdrawing deletes it all at once.
 */
export function accountPersonalizationPage(page: PageContext, view: PersonalizationView): string {
  const { t } = page;
  const day = (epochMs: number) => new Intl.DateTimeFormat(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Stockholm' }).format(epochMs);
  const reasonOf = (segment: PersonalizationView['segments'][number]) => (segment.dated === null ? segment.reason : segment.reason.replaceAll('{date}', day(segment.dated)));
  const body = view.consented
    ? html`<p>${t('personalization.kept', { count: view.signals, days: view.retentionDays })}</p>
${
  view.segments.length
    ? html`<h2>${t('personalization.segments')}</h2>
<ul class="segments">${view.segments.map((segment) => html`<li class="segment" data-segment="${segment.key}"><p class="purpose-title">${segment.title}</p><p class="hint">${reasonOf(segment)}</p></li>`)}</ul>`
    : html`<p>${t('personalization.none')}</p>`
}
${
  view.purpose
    ? html`<form method="post" action="/account/consents/${view.purpose.key}">
${csrfInput(view.csrf)}
<input type="hidden" name="version" value="${view.purpose.version}">
<input type="hidden" name="decision" value="withdrawn">
<input type="hidden" name="back" value="personalization">
<p class="hint">${t('personalization.withdraw.effect')}</p>
<button type="submit" class="secondary">${t('personalization.withdraw', { purpose: view.purpose.title })}</button>
</form>`
    : ''
}`
    : html`<p>${t('personalization.not_consented')}</p>
<p><a href="/account/consents">${t('account.consents.link')}</a></p>`;
  return layout(
    page,
    t('personalization.title'),
    html`<h1>${t('personalization.title')}</h1>
<p class="lead">${t('personalization.lead')}</p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${body}
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
