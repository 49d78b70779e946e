import { html, type SafeHtml } from '../../markup/html.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';
import { consoleCheckbox, consoleSelect, consoleTextarea } from './form-controls.ts';

type Language = 'sv' | 'en';
interface LocalizedTexts {
  title: string;
  description: string;
  legal_text: string;
}

/** A purpose at its current version, as `GET /consent-purposes` answers it. */
export interface PurposeRow {
  key: string;
  required: boolean;
  brand: string | null;
  version: number;
  requires_fresh_consent: boolean;
  texts: Record<Language, LocalizedTexts>;
  created_at: number;
}

/** The six texts of a form, by field name, with their lengths (the API's). */
export const TEXT_FIELDS = [
  ['sv_title', 120],
  ['sv_description', 2000],
  ['sv_legal_text', 20000],
  ['en_title', 120],
  ['en_description', 2000],
  ['en_legal_text', 20000],
] as const;
type TextField = (typeof TEXT_FIELDS)[number][0];

export type PurposeValues = { key: string; brand: string; required: boolean; requires_fresh_consent: boolean } & Record<TextField, string>;

interface FormState {
  csrf: string;
  brands: Array<{ key: string; name: string }>;
  values?: PurposeValues | undefined;
  errors?: FieldErrors | undefined;
  notice?: string | undefined;
}

const LANGUAGES: Array<{ code: Language; name: string }> = [
  { code: 'sv', name: 'Svenska' },
  { code: 'en', name: 'English' },
];

const brandName = (page: ConsolePage, brands: FormState['brands'], key: string | null) => (key ? (brands.find((brand) => brand.key === key)?.name ?? key) : page.t('admin.group'));

/** Every purpose at its current version, and defining a new one. */
export function purposesPage(page: ConsolePage, view: FormState & { purposes: PurposeRow[] }): string {
  const { t } = page;
  const rows = view.purposes.map(
    (purpose) => html`<tr><td><a href="/console/consent-purposes/${purpose.key}">${purpose.texts[page.locale].title}</a></td><td><code>${purpose.key}</code></td><td>${brandName(page, view.brands, purpose.brand)}</td><td>${purpose.required ? t('admin.yes') : t('admin.no')}</td><td>${purpose.version}${purpose.requires_fresh_consent ? html` <span class="tag">${t('admin.purposes.asked_again')}</span>` : ''}</td><td>${when(page, purpose.created_at * 1000)}</td></tr>`,
  );
  const choices = [{ value: '', label: t('admin.group') }, ...view.brands.map((brand) => ({ value: brand.key, label: brand.name }))];
  return consoleLayout(page, t('admin.purposes.title'), html`<p class="lead">${t('admin.purposes.lead')}</p>
${formMessage(view.errors, view.notice)}
${view.purposes.length
    ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('admin.purposes.purpose')}</th><th scope="col">${t('admin.purposes.key')}</th><th scope="col">${t('admin.purposes.brand')}</th><th scope="col">${t('admin.purposes.required')}</th><th scope="col">${t('admin.purposes.version')}</th><th scope="col">${t('admin.purposes.since')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="empty">${t('admin.purposes.none')}</p>`}
<section aria-labelledby="new-purpose-heading"><h2 id="new-purpose-heading">${t('admin.purposes.new')}</h2>
<form method="post" action="/console/consent-purposes" class="console-form" novalidate>${csrfInput(view.csrf)}
<div class="console-columns even">
<div>${consoleField({ name: 'key', label: t('admin.purposes.key'), hint: t('admin.purposes.key_hint'), value: view.values?.key ?? '', autocomplete: 'off', error: view.errors?.key })}</div>
<div>${consoleSelect({ name: 'brand', label: t('admin.purposes.brand'), hint: t('admin.purposes.brand_hint'), value: view.values?.brand ?? '', choices, error: view.errors?.brand })}</div>
</div>
${consoleCheckbox({ name: 'required', label: t('admin.purposes.required_label'), hint: t('admin.purposes.required_hint'), checked: view.values?.required ?? false })}
${textsSideBySide(page, view.values, view.errors)}
<button type="submit" class="primary">${t('admin.purposes.create')}</button>
</form></section>`);
}

/** The texts in Swedish and English side by side (stacked on a narrow screen), each language marked as such. */
function textsSideBySide(page: ConsolePage, values: PurposeValues | undefined, errors: FieldErrors | undefined): SafeHtml {
  const { t } = page;
  return html`<div class="languages">${LANGUAGES.map(
    (language) => html`<fieldset lang="${language.code}"><legend>${language.name}</legend>
${consoleField({ name: `${language.code}_title`, label: t('admin.purposes.text_title'), value: values?.[`${language.code}_title`] ?? '', autocomplete: 'off', error: errors?.[`${language.code}_title`] })}
${consoleTextarea({ name: `${language.code}_description`, label: t('admin.purposes.text_description'), hint: t('admin.purposes.text_description_hint'), value: values?.[`${language.code}_description`] ?? '', rows: 3, error: errors?.[`${language.code}_description`] })}
${consoleTextarea({ name: `${language.code}_legal_text`, label: t('admin.purposes.text_legal'), value: values?.[`${language.code}_legal_text`] ?? '', rows: 6, error: errors?.[`${language.code}_legal_text`] })}
</fieldset>`,
  )}</div>`;
}

/** One purpose: its current texts, a new version, asking everyone again. */
export function purposePage(page: ConsolePage, view: FormState & { purpose: PurposeRow }): string {
  const { t } = page;
  const { purpose } = view;
  const base = `/console/consent-purposes/${purpose.key}`;
  const current = Object.fromEntries(LANGUAGES.flatMap((language) => (['title', 'description', 'legal_text'] as const).map((part) => [`${language.code}_${part}`, purpose.texts[language.code][part]]))) as Record<TextField, string>;
  const values = view.values ?? { key: purpose.key, brand: purpose.brand ?? '', required: purpose.required, requires_fresh_consent: false, ...current };
  return consoleLayout(page, purpose.texts[page.locale].title, html`${formMessage(view.errors, view.notice)}
<dl class="facts">
<dt>${t('admin.purposes.key')}</dt><dd><code>${purpose.key}</code></dd>
<dt>${t('admin.purposes.version')}</dt><dd>${purpose.version}${purpose.requires_fresh_consent ? html` <span class="tag">${t('admin.purposes.asked_again')}</span>` : ''}</dd>
<dt>${t('admin.purposes.brand')}</dt><dd>${brandName(page, view.brands, purpose.brand)}</dd>
<dt>${t('admin.purposes.required')}</dt><dd>${purpose.required ? t('admin.yes') : t('admin.no')}</dd>
<dt>${t('admin.purposes.since')}</dt><dd>${when(page, purpose.created_at * 1000)}</dd>
</dl>
<section aria-labelledby="texts-heading"><h2 id="texts-heading">${t('admin.purposes.current_texts')}</h2>
<div class="languages">${LANGUAGES.map(
    (language) => html`<div lang="${language.code}"><h3>${language.name}</h3><dl class="texts">
<dt>${t('admin.purposes.text_title')}</dt><dd>${purpose.texts[language.code].title}</dd>
<dt>${t('admin.purposes.text_description')}</dt><dd>${purpose.texts[language.code].description}</dd>
<dt>${t('admin.purposes.text_legal')}</dt><dd class="legal">${purpose.texts[language.code].legal_text}</dd></dl></div>`,
  )}</div></section>
<section aria-labelledby="version-heading"><h2 id="version-heading">${t('admin.purposes.new_version')}</h2>
<p class="hint">${t('admin.purposes.new_version_lead')}</p>
<form method="post" action="${base}/versions" class="console-form" novalidate>${csrfInput(view.csrf)}
${textsSideBySide(page, values, view.errors)}
${consoleCheckbox({ name: 'requires_fresh_consent', label: t('admin.purposes.fresh'), hint: t('admin.purposes.fresh_hint'), checked: values.requires_fresh_consent })}
<button type="submit" class="primary">${t('admin.purposes.version_submit')}</button>
</form></section>
<section aria-labelledby="ask-heading"><h2 id="ask-heading">${t('admin.purposes.ask_again')}</h2>
<p class="hint">${t('admin.purposes.ask_again_lead')}</p>
<form method="post" action="${base}/ask-again" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary">${t('admin.purposes.ask_again_submit')}</button></form>
</section>
<p><a href="/console/consent-purposes">${t('admin.purposes.back')}</a></p>`);
}
