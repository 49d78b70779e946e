import type { AttributeDefinition } from '../profile/profile-schema.ts';
import { html } from '../markup/html.ts';
import { alert, csrfInput, field, implicitSubmit, layout, type PageContext } from './layout.ts';
import { attributeFields } from './profile-due.page.ts';

export interface AccountProfileView {
  csrf: string;
  /** The form's values: stored, or as typed when refused. */
  values: { given_name: string; family_name: string; locale: string };
  /** The attributes the customer may change, and their values as form fields. */
  attributes: AttributeDefinition[];
  attributeValues: Record<string, string>;
  orders: Array<{ reference: string; createdAt: number }>;
  error?: string | undefined;
  notice?: string | undefined;
}

const LANGUAGES = ['sv', 'en'] as const;

/** /account/profile: the customer's names, language and the attributes they may change, and their orders. */
export function accountProfilePage(page: PageContext, view: AccountProfileView): string {
  const { t } = page;
  const day = (epochMs: number) => new Intl.DateTimeFormat(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { dateStyle: 'medium', timeZone: 'Europe/Stockholm' }).format(epochMs);
  const value = (name: string) => view.attributeValues[name];
  return layout(
    page,
    t('account.profile.title'),
    html`<h1>${t('account.profile.title')}</h1>
<p class="lead">${t('account.profile.lead')}</p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${alert(view.error)}
<form method="post" action="/account/profile" novalidate>
${csrfInput(view.csrf)}
${implicitSubmit()}
${field({ name: 'given_name', label: t('field.given_name'), type: 'text', autocomplete: 'given-name', value: view.values.given_name, required: false, maxLength: 100 })}
${field({ name: 'family_name', label: t('field.family_name'), type: 'text', autocomplete: 'family-name', value: view.values.family_name, required: false, maxLength: 100 })}
<label for="field-locale">${t('account.profile.language')}</label>
<select id="field-locale" name="locale">${LANGUAGES.map((code) => html`<option value="${code}"${view.values.locale === code ? html` selected` : ''}>${t(code === 'sv' ? 'account.profile.language_sv' : 'account.profile.language_en')}</option>`)}</select>
${view.attributes.map((attribute) => attributeFields(page, attribute, value, true))}
<button type="submit" class="primary">${t('account.profile.save')}</button>
</form>
<h2>${t('account.profile.orders')}</h2>
${
  view.orders.length
    ? html`<ul class="history">${view.orders.map((order) => html`<li data-order="${order.reference}">${t('account.profile.order', { reference: order.reference, date: day(order.createdAt) })}</li>`)}</ul>`
    : html`<p class="hint">${t('account.profile.no_orders')}</p>`
}
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
