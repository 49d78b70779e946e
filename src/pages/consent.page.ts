import type { MessageKey } from './i18n/en.ts';
import { html } from './html.ts';
import { csrfInput, layout, type PageContext } from './layout.ts';

export interface ConsentPage {
  uid: string;
  clientName: string;
  csrf: string;
  email: string;
  scopes: string[];
}

const KNOWN_SCOPES = new Set(['openid', 'profile', 'email', 'phone', 'consents', 'offline_access']);

export function consentPage(page: PageContext, view: ConsentPage): string {
  const { t } = page;
  const items = view.scopes.map((scope) =>
    KNOWN_SCOPES.has(scope) ? html`<li>${t(`scope.${scope}` as MessageKey)}</li>` : html`<li><code>${scope}</code></li>`,
  );
  return layout(
    page,
    t('consent.title'),
    html`<h1>${t('consent.title')}</h1>
<p class="lead">${t('consent.lead', { client: view.clientName })}</p>
<ul class="scopes">${items}</ul>
<p class="hint">${t('consent.signed_in_as', { email: view.email })}</p>
<form method="post" action="/login/${view.uid}/consent" class="actions">
${csrfInput(view.csrf)}
<button type="submit" name="decision" value="allow" class="primary">${t('consent.allow')}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t('consent.deny')}</button>
</form>`,
  );
}
