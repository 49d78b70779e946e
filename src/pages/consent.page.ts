import type { MessageKey } from '../i18n/en.ts';
import { html } from '../markup/html.ts';
import { csrfInput, implicitSubmit, layout, type PageContext } from './layout.ts';
import { purposeChoices } from './sign-up.page.ts';
import type { ShownPurpose } from '../consent/sign-up-purposes.ts';
import type { Responsibility } from '../brands/brands.ts';
import { responsibilityNote } from './responsibility.ts';

export interface ConsentPage {
  uid: string;
  clientName: string;
  csrf: string;
  email: string;
  /** Access the client asks for; empty when it only asks for consent purposes. */
  scopes: string[];
  purposes: ShownPurpose[];
  /** Who is responsible for the data, and the group's chains. */
  responsibility?: Responsibility;
}

const KNOWN_SCOPES = new Set(['openid', 'profile', 'email', 'phone', 'consents', 'offline_access', 'references', 'address', 'attributes']);

export function consentPage(page: PageContext, view: ConsentPage): string {
  const { t } = page;
  const items = view.scopes.map((scope) =>
    KNOWN_SCOPES.has(scope) ? html`<li>${t(`scope.${scope}` as MessageKey)}</li>` : html`<li><code>${scope}</code></li>`,
  );
  const asksAccess = view.scopes.length > 0;
  const title = asksAccess ? t('consent.title') : t('consents.due.title');
  return layout(
    page,
    title,
    html`<h1>${title}</h1>
${asksAccess ? html`<p class="lead">${t('consent.lead', { client: view.clientName })}</p>
<ul class="scopes">${items}</ul>` : html`<p class="lead">${t('consent.purposes_only', { client: view.clientName })}</p>`}
<p class="hint">${t('consent.signed_in_as', { email: view.email })}</p>
${responsibilityNote(page, view.responsibility)}
<form method="post" action="/login/${view.uid}/consent" novalidate>
${csrfInput(view.csrf)}
${implicitSubmit()}
${purposeChoices(page, view.purposes)}
<div class="actions">
<button type="submit" name="decision" value="allow" class="primary">${asksAccess ? t('consent.allow') : t('signup.continue')}</button>
${asksAccess ? html`<button type="submit" name="decision" value="deny" class="secondary">${t('consent.deny')}</button>` : html``}
</div>
</form>`,
  );
}
