import type { LinkedIdentity } from '../federation/identity-links.ts';
import { html } from '../markup/html.ts';
import { alert, csrfInput, layout, type PageContext } from './layout.ts';

export interface ConnectionsView {
  csrf: string;
  identities: LinkedIdentity[];
  notice?: string;
  error?: string;
}

/** /account/connections: the accounts elsewhere (Google, Apple …) the customer signs in with; each can be disconnected. */
export function accountConnectionsPage(page: PageContext, view: ConnectionsView): string {
  const { t } = page;
  const when = (epochMs: number) => new Intl.DateTimeFormat(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { dateStyle: 'medium', timeZone: 'Europe/Stockholm' }).format(epochMs);
  const items = view.identities.map(
    (identity) => html`<li class="connection" data-connection="${identity.connection}">
<p class="purpose-title">${identity.name}</p>
<p class="hint">${t('account.connections.since', { date: when(identity.createdAt), used: when(identity.lastUsedAt) })}</p>
<form method="post" action="/account/connections/${identity.connection}/remove" class="inline-action">
${csrfInput(view.csrf)}
<button type="submit" class="secondary">${t('account.connections.remove')}</button>
</form>
</li>`,
  );
  return layout(
    page,
    t('account.connections.title'),
    html`<h1>${t('account.connections.title')}</h1>
<p class="lead">${t('account.connections.lead')}</p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${alert(view.error)}
${items.length ? html`<ul class="consents">${items}</ul>` : html`<p>${t('account.connections.none')}</p>`}
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
