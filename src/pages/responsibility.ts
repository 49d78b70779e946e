import type { Responsibility } from '../brands/brands.ts';
import { html, type SafeHtml } from '../markup/html.ts';
import type { PageContext } from './layout.ts';

/**
 * Who is responsible for the person's data at this client (the controller, with its privacy
 * notice; GDPR Art. 13(1)(a)), and, in plain words, that the account is one for the whole group,
 * naming its chains: on the sign-up and consent pages, before anything is agreed.
 */
export function responsibilityNote(page: PageContext, who: Responsibility | undefined): SafeHtml {
  if (!who) return html``;
  const { t } = page;
  const notice = who.privacyNoticeUrl ? html`<a href="${who.privacyNoticeUrl}" target="_blank" rel="noopener noreferrer">${t('responsibility.notice')}</a>` : html``;
  const controller = who.controller ? html`<p>${t('responsibility.controller', { controller: who.controller })} ${notice}</p>` : who.privacyNoticeUrl ? html`<p>${notice}</p>` : html``;
  const chains = who.chains.length > 1 ? html`<p>${t('responsibility.chains', { chains: new Intl.ListFormat(page.locale, { type: 'conjunction' }).format(who.chains) })}</p>` : html``;
  if (!who.controller && !who.privacyNoticeUrl && who.chains.length < 2) return html``;
  return html`<div class="responsibility">${controller}${chains}</div>`;
}
