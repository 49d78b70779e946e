import type { CallerVerification } from '../customer-service/caller-verifications.ts';
import { html } from '../markup/html.ts';
import { csrfInput, layout, type PageContext } from './layout.ts';

export interface VerificationsView {
  csrf: string;
  pending: CallerVerification[];
  notice?: string;
}

/** /account/verifications: customer service asks "is this you on the phone?"; the customer answers. */
export function accountVerificationsPage(page: PageContext, view: VerificationsView): string {
  const { t } = page;
  const when = (epochMs: number) => new Intl.DateTimeFormat(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { timeStyle: 'short', timeZone: 'Europe/Stockholm' }).format(epochMs);
  const items = view.pending.map(
    (verification) => html`<li class="verification" data-verification="${verification.id}">
<p class="purpose-title">${t('account.verifications.asked', { time: when(verification.createdAt) })}</p>
<p class="hint">${t('account.verifications.hint')}</p>
<form method="post" action="/account/verifications/${verification.id}" class="inline-action">
${csrfInput(view.csrf)}
<button type="submit" class="primary" name="decision" value="approve">${t('account.verifications.approve')}</button>
<button type="submit" class="secondary" name="decision" value="deny">${t('account.verifications.deny')}</button>
</form>
</li>`,
  );
  return layout(
    page,
    t('account.verifications.title'),
    html`<h1>${t('account.verifications.title')}</h1>
<p class="lead">${t('account.verifications.lead')}</p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${items.length ? html`<ul class="consents">${items}</ul>` : html`<p>${t('account.verifications.none')}</p>`}
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
