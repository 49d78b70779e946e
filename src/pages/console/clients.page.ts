import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';
import { consoleCheckbox, consoleSelect, consoleTextarea } from './form-controls.ts';

/** Web (a server that keeps a secret), single-page app and native app (public: no secret, PKCE). */
export const CLIENT_KINDS = ['web', 'spa', 'native'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A client as the `/clients` operations answer it (the fields the console shows). */
export interface ClientSummary {
  client_id: string;
  client_name: string;
  client_id_issued_at: number;
  redirect_uris: string[];
  grant_types: string[];
  token_endpoint_auth_method: string;
  application_type: string;
  first_party: boolean;
  brand: string | null;
  warnings: Array<{ code: string }>;
  updated_at: number;
}

/** The client form as typed: redirect URIs one per line. */
export interface ClientValues {
  client_name: string;
  kind: ClientKind;
  redirect_uris: string;
  first_party: boolean;
  brand: string;
}

export interface BrandChoice {
  key: string;
  name: string;
}

/** The registered clients, a page at a time. */
export function clientsPage(page: ConsolePage, view: { clients: Array<ClientSummary & { kind: ClientKind }>; next?: string | undefined; paged: boolean; notice?: string }): string {
  const { t } = page;
  const rows = view.clients.map(
    (client) => html`<tr><td><a href="/console/clients/${encodeURIComponent(client.client_id)}">${client.client_name}</a></td><td><code>${client.client_id}</code></td><td>${t(`admin.clients.kind.${client.kind}` as ConsoleKey)}</td><td>${client.brand ?? t('admin.group')}</td><td>${client.first_party ? t('admin.yes') : t('admin.no')}</td><td>${client.warnings.length ? html`<span class="tag warning">${t('admin.clients.warnings_count', { count: client.warnings.length })}</span>` : ''}</td></tr>`,
  );
  return consoleLayout(page, t('admin.clients.title'), html`<p class="lead">${t('admin.clients.lead')}</p>
${formMessage(undefined, view.notice)}
<p><a class="button primary inline" href="/console/clients/new">${t('admin.clients.new')}</a></p>
${view.clients.length
    ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('admin.clients.name')}</th><th scope="col">${t('admin.clients.client_id')}</th><th scope="col">${t('admin.clients.kind')}</th><th scope="col">${t('admin.clients.brand')}</th><th scope="col">${t('admin.clients.first_party_short')}</th><th scope="col">${t('admin.clients.warnings')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="empty">${t(view.paged ? 'admin.clients.no_more' : 'admin.clients.none')}</p>`}
<p>${view.paged ? html`<a class="button secondary inline" href="/console/clients">${t('admin.first_page')}</a> ` : ''}${view.next ? html`<a class="button secondary inline" href="/console/clients?after=${encodeURIComponent(view.next)}">${t('admin.next_page')}</a>` : ''}</p>`);
}

/** Registering a client. */
export function clientFormPage(page: ConsolePage, view: { csrf: string; brands: BrandChoice[]; values: ClientValues; errors: FieldErrors }): string {
  const { t } = page;
  const { values, errors } = view;
  return consoleLayout(page, t('admin.clients.new'), html`<p class="lead">${t('admin.clients.new_lead')}</p>
${formMessage(errors)}
<form method="post" action="/console/clients/new" class="console-form" novalidate>${csrfInput(view.csrf)}
${consoleField({ name: 'client_name', label: t('admin.clients.name'), value: values.client_name, autocomplete: 'off', error: errors.client_name })}
<fieldset class="choices"${errors.kind ? html` aria-describedby="kind-error"` : ''}><legend>${t('admin.clients.kind')}</legend>
${CLIENT_KINDS.map((kind) => html`<label class="check" for="kind-${kind}"><input type="radio" id="kind-${kind}" name="kind" value="${kind}"${values.kind === kind ? html` checked` : ''}> ${t(`admin.clients.kind.${kind}` as ConsoleKey)}</label>
<p class="hint choice-hint">${t(`admin.clients.kind.${kind}.hint` as ConsoleKey)}</p>`)}
</fieldset>
${errors.kind ? html`<p class="field-error" id="kind-error">${errors.kind}</p>` : ''}
${clientSettings(page, view.brands, values, errors)}
<button type="submit" class="primary">${t('admin.clients.create')}</button>
</form>`);
}

/** Redirect URIs, first party and brand: on the new form and on the client's page. */
export function clientSettings(page: ConsolePage, brands: BrandChoice[], values: Pick<ClientValues, 'redirect_uris' | 'first_party' | 'brand'>, errors: FieldErrors): SafeHtml {
  const { t } = page;
  const choices = [{ value: '', label: t('admin.group') }, ...brands.map((brand) => ({ value: brand.key, label: brand.name }))];
  // A brand chosen once and removed since is still shown, so saving does not silently drop it.
  if (values.brand && !brands.some((brand) => brand.key === values.brand)) choices.push({ value: values.brand, label: values.brand });
  return html`${consoleTextarea({ name: 'redirect_uris', label: t('admin.clients.redirect_uris'), hint: t('admin.clients.redirect_uris_hint'), value: values.redirect_uris, rows: 4, error: errors.redirect_uris })}
${consoleCheckbox({ name: 'first_party', label: t('admin.clients.first_party'), hint: t('admin.clients.first_party_hint'), checked: values.first_party, error: errors.first_party })}
${consoleSelect({ name: 'brand', label: t('admin.clients.brand'), hint: t('admin.clients.brand_hint'), value: values.brand, choices, error: errors.brand })}`;
}

/** The client's facts, for its page. */
export function clientFacts(page: ConsolePage, client: ClientSummary, kind: ClientKind, brands: BrandChoice[]): SafeHtml {
  const { t } = page;
  const brand = client.brand ? (brands.find((candidate) => candidate.key === client.brand)?.name ?? client.brand) : t('admin.group');
  return html`<dl class="facts">
<dt>${t('admin.clients.client_id')}</dt><dd><code>${client.client_id}</code></dd>
<dt>${t('admin.clients.kind')}</dt><dd>${t(`admin.clients.kind.${kind}` as ConsoleKey)}</dd>
<dt>${t('admin.clients.secret_kind')}</dt><dd>${client.token_endpoint_auth_method === 'none' ? t('admin.clients.public') : t('admin.clients.confidential')}</dd>
<dt>${t('admin.clients.brand')}</dt><dd>${brand}</dd>
<dt>${t('admin.clients.first_party_short')}</dt><dd>${client.first_party ? t('admin.yes') : t('admin.no')}</dd>
<dt>${t('admin.clients.redirect_uris')}</dt><dd>${client.redirect_uris.length ? html`<ul class="plain">${client.redirect_uris.map((uri) => html`<li><code>${uri}</code></li>`)}</ul>` : '—'}</dd>
<dt>${t('admin.clients.created')}</dt><dd>${when(page, client.client_id_issued_at * 1000)}</dd>
</dl>`;
}
