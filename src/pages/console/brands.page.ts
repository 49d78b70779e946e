import { AA_TEXT_CONTRAST, contrastAgainstWhite } from '../../brands/brand-contrast.ts';
import { html, type SafeHtml } from '../../markup/html.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';
import { consoleCheckbox, consoleColour, consoleFile } from './form-controls.ts';

/** A brand as `GET /brands` answers it. */
export interface BrandRow {
  key: string;
  name: string;
  accent_color: string;
  has_logo: boolean;
  sender: string | null;
  controller: string | null;
  privacy_notice_url: string | null;
  version: number;
  updated_at: number;
}

/** The brand form as typed (the logo file is never drawn again: it is chosen anew). */
export interface BrandValues {
  key: string;
  name: string;
  accent_color: string;
  sender: string;
  controller: string;
  privacy_notice_url: string;
}

interface FormState {
  csrf: string;
  values?: BrandValues | undefined;
  errors?: FieldErrors | undefined;
  notice?: string | undefined;
}

/** The brand's logo from Portvakt's own asset route (the one its hosted pages use). */
/** `alt`: the brand's name, or nothing where the name stands beside it. */
export function brandLogo(brand: Pick<BrandRow, 'key' | 'name' | 'has_logo' | 'version'>, className: string, alt = brand.name): SafeHtml {
  return brand.has_logo ? html`<img class="${className}" src="/assets/brands/${brand.key}/logo?v=${brand.version}" alt="${alt}">` : html``;
}

/** Every brand, and adding one. */
export function brandsPage(page: ConsolePage, view: FormState & { brands: BrandRow[] }): string {
  const { t } = page;
  const rows = view.brands.map(
    (brand) => html`<tr><td>${brandLogo(brand, 'brand-logo', '')}</td><td><a href="/console/brands/${brand.key}">${brand.name}</a></td><td><code>${brand.key}</code></td><td><code>${brand.accent_color}</code></td><td>${brand.sender ?? '—'}</td><td>${when(page, brand.updated_at * 1000)}</td></tr>`,
  );
  return consoleLayout(page, t('admin.brands.title'), html`<p class="lead">${t('admin.brands.lead')}</p>
${formMessage(view.errors, view.notice)}
<div class="console-columns"><div>
${view.brands.length
    ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('admin.brands.logo')}</th><th scope="col">${t('admin.brands.name')}</th><th scope="col">${t('admin.brands.key')}</th><th scope="col">${t('admin.brands.colour')}</th><th scope="col">${t('admin.brands.sender')}</th><th scope="col">${t('admin.changed')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="empty">${t('admin.brands.none')}</p>`}
</div><div>
<section aria-labelledby="new-brand-heading"><h2 id="new-brand-heading">${t('admin.brands.new')}</h2>
<form method="post" action="/console/brands" enctype="multipart/form-data" class="console-form" novalidate>${csrfInput(view.csrf)}
${consoleField({ name: 'key', label: t('admin.brands.key'), hint: t('admin.brands.key_hint'), value: view.values?.key ?? '', autocomplete: 'off', error: view.errors?.key })}
${brandFields(page, view.values, view.errors, false)}
<button type="submit" class="primary">${t('admin.brands.create')}</button>
</form></section>
</div></div>`);
}

function brandFields(page: ConsolePage, values: BrandValues | undefined, errors: FieldErrors | undefined, hasLogo: boolean): SafeHtml {
  const { t } = page;
  return html`${consoleField({ name: 'name', label: t('admin.brands.name'), value: values?.name ?? '', autocomplete: 'off', error: errors?.name })}
${consoleColour({ name: 'accent_color', label: t('admin.brands.colour'), hint: t('admin.brands.colour_hint'), value: values?.accent_color ?? '#1f5fbf', error: errors?.accent_color })}
${consoleFile({ name: 'logo', label: t(hasLogo ? 'admin.brands.logo_replace' : 'admin.brands.logo'), hint: t('admin.brands.logo_hint'), accept: 'image/png,image/svg+xml', error: errors?.logo })}
${hasLogo ? consoleCheckbox({ name: 'remove_logo', label: t('admin.brands.remove_logo'), checked: false }) : ''}
${consoleField({ name: 'sender', label: t('admin.brands.sender'), hint: t('admin.brands.sender_hint'), value: values?.sender ?? '', autocomplete: 'off', required: false, error: errors?.sender })}
${consoleField({ name: 'controller', label: t('admin.brands.controller'), hint: t('admin.brands.controller_hint'), value: values?.controller ?? '', autocomplete: 'off', required: false, error: errors?.controller })}
${consoleField({ name: 'privacy_notice_url', label: t('admin.brands.notice'), hint: t('admin.brands.notice_hint'), value: values?.privacy_notice_url ?? '', autocomplete: 'off', required: false, error: errors?.privacy_notice_url })}`;
}

/** How the accent colour reads on the hosted pages' white: the WCAG contrast ratio, and whether text in it passes AA (4.5:1). */
function contrastText(t: ConsolePage['t'], colour: string): string {
  const ratio = contrastAgainstWhite(colour);
  return t(ratio >= AA_TEXT_CONTRAST ? 'admin.brands.contrast_enough' : 'admin.brands.contrast_low', { ratio: ratio.toFixed(1) });
}

/** One brand: its settings, a preview of its sign-in page, removal. */
export function brandPage(page: ConsolePage, view: FormState & { brand: BrandRow }): string {
  const { t } = page;
  const { brand } = view;
  const values = view.values ?? { key: brand.key, name: brand.name, accent_color: brand.accent_color, sender: brand.sender ?? '', controller: brand.controller ?? '', privacy_notice_url: brand.privacy_notice_url ?? '' };
  return consoleLayout(page, brand.name, html`${formMessage(view.errors, view.notice)}
<div class="console-columns"><div>
<section aria-labelledby="settings-heading"><h2 id="settings-heading">${t('admin.brands.settings')}</h2>
<form method="post" action="/console/brands/${brand.key}" enctype="multipart/form-data" class="console-form" novalidate>${csrfInput(view.csrf)}
${brandFields(page, values, view.errors, brand.has_logo)}
<button type="submit" class="primary">${t('admin.save')}</button>
</form></section>
</div><div>
<section aria-labelledby="preview-heading"><h2 id="preview-heading">${t('admin.brands.preview')}</h2>
<p class="hint">${t('admin.brands.preview_lead')}</p>
<div class="brand-preview" data-brand-preview data-sender-default="${t('admin.brands.sender_default')}" data-contrast-texts="${JSON.stringify({ enough: t('admin.brands.contrast_enough', { ratio: '{ratio}' }), low: t('admin.brands.contrast_low', { ratio: '{ratio}' }) })}">
${brandLogo(brand, 'brand-preview-logo')}
<p class="brand-preview-name" data-preview-name${brand.has_logo ? html` hidden` : ''}>${brand.name}</p>
<p class="brand-preview-sample" data-preview-sample hidden><span class="brand-preview-button">${t('admin.brands.sample_button')}</span> <span class="brand-preview-link">${t('admin.brands.sample_link')}</span></p>
<dl class="facts"><dt>${t('admin.brands.colour')}</dt><dd><code data-preview-colour>${brand.accent_color}</code></dd>
<dt>${t('admin.brands.contrast')}</dt><dd data-preview-contrast>${contrastText(t, brand.accent_color)}</dd>
<dt>${t('admin.brands.sender')}</dt><dd data-preview-sender>${brand.sender ?? t('admin.brands.sender_default')}</dd></dl>
</div>
<p><a class="button secondary" href="/console/brands/${brand.key}/preview">${t('admin.brands.preview_open')}</a></p>
</section>
<section aria-labelledby="delete-heading"><h2 id="delete-heading">${t('admin.brands.delete')}</h2>
<p class="hint">${t('admin.brands.delete_lead')}</p>
<form method="post" action="/console/brands/${brand.key}/delete" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary danger">${t('admin.brands.delete_submit', { name: brand.name })}</button></form>
</section>
<p><a href="/console/brands">${t('admin.brands.back')}</a></p>
</div></div>`);
}
