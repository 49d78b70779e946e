import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { ATTRIBUTE_ASK, ATTRIBUTE_TYPES } from '../../profile/attribute-types.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, type ConsolePage, type FieldErrors } from './console-layout.ts';
import { consoleCheckbox, consoleSelect, consoleTextarea } from './form-controls.ts';

/** An attribute as `GET /profile-schema` answers it. */
export interface AttributeRow {
  key: string;
  type: string;
  labels: { sv: string; en: string };
  options: string[] | null;
  ask: string;
  built_in: boolean;
  customer_editable: boolean;
}

/** The attribute form as typed: choices one per line. */
export interface AttributeValues {
  key: string;
  type: string;
  label_sv: string;
  label_en: string;
  options: string;
  ask: string;
  customer_editable: boolean;
}

interface FormState {
  csrf: string;
  values?: AttributeValues | undefined;
  errors?: FieldErrors | undefined;
  notice?: string | undefined;
}

export const attributeValues = (attribute: AttributeRow): AttributeValues => ({ key: attribute.key, type: attribute.type, label_sv: attribute.labels.sv, label_en: attribute.labels.en, options: attribute.options?.join('\n') ?? '', ask: attribute.ask, customer_editable: attribute.customer_editable });

/** Every attribute with its type, who gives it and who may change it; adding one. */
export function profileSchemaPage(page: ConsolePage, view: FormState & { attributes: AttributeRow[] }): string {
  const { t } = page;
  const rows = view.attributes.map(
    (attribute) => html`<tr><td><a href="/console/profile-schema/${attribute.key}">${attribute.labels[page.locale]}</a>${attribute.built_in ? html` <span class="tag">${t('settings.profile.built_in')}</span>` : ''}</td><td><code>${attribute.key}</code></td><td>${typeText(page, attribute)}</td><td>${t(`settings.profile.ask.${attribute.ask}` as ConsoleKey)}</td><td>${t(attribute.customer_editable ? 'settings.profile.editors.customer' : 'settings.profile.editors.staff')}</td></tr>`,
  );
  const values = view.values ?? { key: '', type: 'text', label_sv: '', label_en: '', options: '', ask: 'never', customer_editable: false };
  return consoleLayout(page, t('settings.profile.title'), html`<p class="lead">${t('settings.profile.lead')}</p>
${formMessage(view.errors, view.notice)}
${view.attributes.length
    ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('settings.profile.labels')}</th><th scope="col">${t('settings.profile.key')}</th><th scope="col">${t('settings.profile.type')}</th><th scope="col">${t('settings.profile.ask')}</th><th scope="col">${t('settings.profile.who')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="empty">${t('settings.profile.none')}</p>`}
<section aria-labelledby="new-heading"><h2 id="new-heading">${t('settings.profile.new')}</h2>
<form method="post" action="/console/profile-schema" class="console-form" novalidate>${csrfInput(view.csrf)}
${consoleField({ name: 'key', label: t('settings.profile.key'), hint: t('settings.profile.key_hint'), value: values.key, autocomplete: 'off', error: view.errors?.key })}
${attributeFields(page, values, view.errors ?? {}, false)}
<button type="submit" class="primary">${t('settings.profile.add')}</button>
</form></section>`);
}

/** One attribute: changing its type, labels, choices and who gives it; removing it (not a built-in one). */
export function attributePage(page: ConsolePage, view: FormState & { attribute: AttributeRow }): string {
  const { t } = page;
  const { attribute } = view;
  const values = view.values ?? attributeValues(attribute);
  return consoleLayout(page, attribute.labels[page.locale], html`${formMessage(view.errors, view.notice)}
<section aria-labelledby="change-heading"><h2 id="change-heading">${t('settings.profile.change', { key: attribute.key })}</h2>
<form method="post" action="/console/profile-schema/${attribute.key}" class="console-form" novalidate>${csrfInput(view.csrf)}
${attributeFields(page, values, view.errors ?? {}, attribute.built_in)}
<button type="submit" class="primary">${t('admin.save')}</button>
</form></section>
${attribute.built_in
    ? ''
    : html`<section aria-labelledby="remove-heading"><h2 id="remove-heading">${t('settings.remove')}</h2>
<p class="hint">${t('settings.profile.remove_lead')}</p>
<form method="post" action="/console/profile-schema/${attribute.key}/delete" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary danger">${t('settings.profile.remove_submit', { key: attribute.key })}</button></form></section>`}
<p><a href="/console/profile-schema">${t('settings.profile.back')}</a></p>`);
}

function typeText(page: ConsolePage, attribute: AttributeRow): string {
  const name = page.t(`settings.profile.type.${attribute.type}` as ConsoleKey);
  return attribute.options ? `${name}: ${attribute.options.join(', ')}` : name;
}

function attributeFields(page: ConsolePage, values: AttributeValues, errors: FieldErrors, builtIn: boolean): SafeHtml {
  const { t } = page;
  const types = ATTRIBUTE_TYPES.map((type) => ({ value: type, label: t(`settings.profile.type.${type}` as ConsoleKey) }));
  return html`${builtIn
    ? html`<input type="hidden" name="type" value="${values.type}"><p class="hint">${t('settings.profile.type')}: ${t(`settings.profile.type.${values.type}` as ConsoleKey)}. ${t('settings.profile.type_fixed')}</p>`
    : consoleSelect({ name: 'type', label: t('settings.profile.type'), value: values.type, choices: types, error: errors.type })}
<div class="console-columns even">
${consoleField({ name: 'label_sv', label: t('settings.profile.label_sv'), value: values.label_sv, autocomplete: 'off', error: errors.label_sv })}
${consoleField({ name: 'label_en', label: t('settings.profile.label_en'), value: values.label_en, autocomplete: 'off', error: errors.label_en })}
</div>
${builtIn ? '' : consoleTextarea({ name: 'options', label: t('settings.profile.options'), hint: t('settings.profile.options_hint'), value: values.options, rows: 3, required: false, error: errors.options })}
${consoleSelect({ name: 'ask', label: t('settings.profile.ask'), value: values.ask, choices: ATTRIBUTE_ASK.map((ask) => ({ value: ask, label: t(`settings.profile.ask.${ask}` as ConsoleKey) })), error: errors.ask })}
${consoleCheckbox({ name: 'customer_editable', label: t('settings.profile.customer_editable'), hint: t('settings.profile.customer_editable_hint'), checked: values.customer_editable })}`;
}
