import { html, type SafeHtml } from '../markup/html.ts';
import { alert, csrfInput, field, implicitSubmit, layout, type PageContext } from './layout.ts';
import type { ShownPurpose } from '../consent/sign-up-purposes.ts';
import type { Responsibility } from '../brands/brands.ts';
import { responsibilityNote } from './responsibility.ts';

export interface SignUpPage {
  uid: string;
  clientName: string;
  csrf: string;
  passwordMinLength: number;
  values?: { email?: string; given_name?: string; family_name?: string };
  /** Consent purposes to ask, in the page's language: optional ones are unticked choices. */
  purposes?: ShownPurpose[];
  /** Purposes the person already agreed to (at a guest checkout): ticked. */
  preselected?: ReadonlySet<string>;
  /** Who is responsible for the data, and the group's chains. */
  responsibility?: Responsibility;
  error?: string;
}


/**
 * The purposes as separate, unticked choices, with "accept all" and "reject all" side by side and
 * alike. `preselected`: choices the person already made elsewhere (a guest checkout), shown ticked.
 */
export function purposeChoices(page: PageContext, purposes: ShownPurpose[], preselected: ReadonlySet<string> = new Set()): SafeHtml {
  const { t } = page;
  if (purposes.length === 0) return html``;
  return html`<fieldset class="purposes">
<legend>${t('consent.purposes.legend')}</legend>
<p class="hint">${t('consent.purposes.lead')}</p>
${purposes.map(
  (purpose) => html`<input type="hidden" name="shown" value="${purpose.key}:${purpose.version}">
<div class="purpose">
${
  purpose.required
    ? html`<p class="purpose-title">${purpose.title} <span class="tag">${t('consent.purposes.required')}</span></p>`
    : html`<label class="check"><input type="checkbox" name="consent" value="${purpose.key}"${preselected.has(purpose.key) ? html` checked` : ''}> <span class="purpose-title">${purpose.title}</span></label>`
}
<p class="hint">${purpose.description}</p>
<details><summary>${t('consent.purposes.legal')}</summary><p class="hint">${purpose.legalText}</p></details>
</div>`,
)}
<div class="row even">
<button type="submit" class="secondary" name="consent_all" value="accept">${t('consent.purposes.accept_all')}</button>
<button type="submit" class="secondary" name="consent_all" value="reject">${t('consent.purposes.reject_all')}</button>
</div>
</fieldset>`;
}

export function signUpPage(page: PageContext, view: SignUpPage): string {
  const { t } = page;
  const values = view.values ?? {};
  return layout(
    page,
    t('signup.title'),
    html`<h1>${t('signup.title')}</h1>
<p class="lead">${t('signup.lead', { client: view.clientName })}</p>
${responsibilityNote(page, view.responsibility)}
${alert(view.error)}
<form method="post" action="/login/${view.uid}/email-code" novalidate>
<input type="hidden" name="intent" value="sign_up">
${csrfInput(view.csrf)}
${implicitSubmit()}
${field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'email', value: values.email, maxLength: 254, autofocus: true })}
${field({
  name: 'password',
  label: t('field.new_password'),
  type: 'password',
  autocomplete: 'new-password',
  required: false,
  minLength: view.passwordMinLength,
  hint: t('signup.password_optional_hint', { min: view.passwordMinLength }),
})}
<div class="row">
<div>${field({ name: 'given_name', label: t('field.given_name'), type: 'text', autocomplete: 'given-name', value: values.given_name, required: false, maxLength: 100 })}</div>
<div>${field({ name: 'family_name', label: t('field.family_name'), type: 'text', autocomplete: 'family-name', value: values.family_name, required: false, maxLength: 100 })}</div>
</div>
${purposeChoices(page, view.purposes ?? [], view.preselected)}
<button type="submit" class="primary">${t('signup.continue')}</button>
</form>
<p class="switch">${t('signup.have_account')} <a href="/login/${view.uid}">${t('signup.sign_in')}</a></p>`,
  );
}
