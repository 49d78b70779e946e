import type { AttributeDefinition } from '../profile/profile-schema.ts';
import { html, type SafeHtml } from '../markup/html.ts';
import type { MessageKey } from '../i18n/en.ts';
import { alert, csrfInput, implicitSubmit, layout, type PageContext } from './layout.ts';

export interface ProfileDueView {
  uid: string;
  csrf: string;
  clientName: string;
  attributes: AttributeDefinition[];
  /** What the customer typed, shown again after a mistake (form field name → value). */
  values?: Record<string, string>;
  error?: string;
}

/** The one extra screen of progressive profiling: just the fields this client asks for. */
export function profileDuePage(page: PageContext, view: ProfileDueView): string {
  const { t } = page;
  const value = (name: string) => view.values?.[name];
  return layout(
    page,
    t('profile.due.title'),
    html`<h1>${t('profile.due.title')}</h1>
<p class="lead">${t('profile.due.lead', { client: view.clientName })}</p>
${alert(view.error)}
<form method="post" action="/login/${view.uid}/profile" novalidate>
${csrfInput(view.csrf)}
${implicitSubmit()}
${view.attributes.map((attribute) => attributeFields(page, attribute, value))}
<button type="submit" class="primary">${t('signup.continue')}</button>
<button type="submit" class="secondary" name="skip" value="1" formnovalidate>${t('profile.due.skip')}</button>
</form>`,
  );
}

/** The fields of one attribute, by type. `optional` (the customer's own profile page): none is required, and an empty one removes the value. */
export function attributeFields(page: PageContext, attribute: AttributeDefinition, value: (name: string) => string | undefined, optional = false): SafeHtml {
  const { t } = page;
  const label = attribute.labels[page.locale === 'sv' ? 'sv' : 'en'];
  const name = `attr.${attribute.key}`;
  const need = optional ? '' : html` required`;
  const input = (fieldName: string, fieldLabel: string, type: string, autocomplete: string, extra: SafeHtml | string = '') => html`<label for="field-${fieldName}">${fieldLabel}</label>
<input id="field-${fieldName}" name="${fieldName}" type="${type}" autocomplete="${autocomplete}"${value(fieldName) ? html` value="${value(fieldName)!}"` : ''}${extra}>`;
  switch (attribute.type) {
    case 'address':
      return html`<fieldset class="address"><legend>${label}</legend>
${input(`${name}.street_address`, t('profile.address.street'), 'text', 'street-address', html` maxlength="200"${need}`)}
<div class="row"><div>${input(`${name}.postal_code`, t('profile.address.postal_code'), 'text', 'postal-code', html` maxlength="20"${need}`)}</div>
<div>${input(`${name}.locality`, t('profile.address.locality'), 'text', 'address-level2', html` maxlength="100"${need}`)}</div></div>
<label for="field-${name}.country">${t('profile.address.country')}</label>
<select id="field-${name}.country" name="${name}.country" autocomplete="country">
${['SE', 'NO', 'DK', 'FI', 'DE', 'GB'].map((code) => html`<option value="${code}"${(value(`${name}.country`) ?? 'SE') === code ? html` selected` : ''}>${t(`country.${code}` as MessageKey)}</option>`)}
</select>
</fieldset>`;
    case 'date':
      return input(name, label, 'date', attribute.key === 'birthdate' ? 'bday' : 'off', need);
    case 'email':
      return input(name, label, 'email', 'email', html` maxlength="254"${need}`);
    case 'phone':
      return input(name, label, 'tel', 'tel', html` maxlength="16"${need}`);
    case 'boolean':
      return html`<label class="check"><input type="checkbox" name="${name}" value="true"${value(name) === 'true' ? html` checked` : ''}> ${label}</label>`;
    case 'enum':
      return html`<label for="field-${name}">${label}</label>
<select id="field-${name}" name="${name}"${need}>
<option value=""></option>
${(attribute.options ?? []).map((option) => html`<option value="${option}"${value(name) === option ? html` selected` : ''}>${option}</option>`)}
</select>`;
    case 'text':
      return input(name, label, 'text', 'off', html` maxlength="200"${need}`);
  }
}
