import { html, type SafeHtml } from '../../markup/html.ts';
import { csrfInput } from '../layout.ts';
import { clientIdLabel, kindFields, kindName, stateTag, type ConnectionRow, type ConnectionValues, type PresetFacts } from './connections.page.ts';
import { consoleField, consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';
import { consoleCheckbox, consoleTextarea } from './form-controls.ts';

export interface ConnectionView {
  csrf: string;
  connection: ConnectionRow;
  preset: PresetFacts;
  can: { change: boolean; test: boolean; delete: boolean };
  /** The group's brands, for where the connection is offered (when the operator may change it). */
  brands?: Array<{ key: string; name: string }>;
  /** The settings form as typed, when it was refused. */
  values?: ConnectionValues | undefined;
  /** Where it is offered, as typed, when that was refused. */
  offer?: OfferValues | undefined;
  errors?: FieldErrors | undefined;
  notice?: string | undefined;
}

/** Where a connection is offered, as the form holds it: ticked brands, client ids one a line. */
export interface OfferValues {
  brands: string[];
  clients: string;
}

/** The settings form's values of a stored connection. */
export function storedValues(connection: ConnectionRow): ConnectionValues {
  return {
    key: connection.key,
    name: connection.name,
    issuer: connection.issuer,
    client_id: connection.client_id,
    scopes: connection.scopes,
    trust_email_verified: connection.trust_email_verified,
    enabled: connection.enabled,
    team_id: connection.apple?.team_id ?? '',
    key_id: connection.apple?.key_id ?? '',
    tenant: connection.microsoft?.tenant ?? 'common',
    allowed_tenants: connection.microsoft?.allowed_tenants?.join('\n') ?? '',
    api_version: connection.meta?.api_version ?? '',
  };
}

/** One connection: where to register it, testing it, turning it on or off, its settings, removal. */
export function connectionPage(page: ConsolePage, view: ConnectionView): string {
  const { t } = page;
  const { connection } = view;
  const base = `/console/connections/${connection.key}`;
  return consoleLayout(page, connection.name, html`${formMessage(view.errors, view.notice)}
<div class="console-columns"><div>
<section aria-labelledby="facts-heading"><h2 id="facts-heading">${t('settings.connections.facts')}</h2>${facts(page, connection)}</section>
${view.can.change ? settings(page, view, base) : ''}
${view.can.change ? offered(page, view, base) : ''}
</div><div>
${view.can.test
    ? html`<section aria-labelledby="test-heading"><h2 id="test-heading">${t('settings.connections.test')}</h2>
<p class="hint">${t('settings.connections.test_lead')}</p>
<form method="post" action="${base}/test" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary">${t('settings.connections.test_submit', { name: connection.name })}</button></form></section>`
    : ''}
${view.can.change
    ? html`<section aria-labelledby="state-heading"><h2 id="state-heading">${t(connection.enabled ? 'settings.connections.disable' : 'settings.connections.enable')}</h2>
<p class="hint">${t(connection.enabled ? 'settings.connections.disable_lead' : 'settings.connections.enable_lead')}</p>
<form method="post" action="${base}/enabled" class="inline-form">${csrfInput(view.csrf)}<input type="hidden" name="enabled" value="${connection.enabled ? 'false' : 'true'}"><button type="submit" class="secondary">${t(connection.enabled ? 'settings.connections.disable' : 'settings.connections.enable')}</button></form></section>`
    : ''}
${view.can.delete
    ? html`<section aria-labelledby="delete-heading"><h2 id="delete-heading">${t('settings.connections.delete')}</h2>
<p class="hint">${t('settings.connections.delete_lead')}</p>
<form method="post" action="${base}/delete" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary danger">${t('settings.connections.delete_submit', { name: connection.name })}</button></form></section>`
    : ''}
<p><a href="/console/connections">${t('settings.connections.back')}</a></p>
</div></div>`);
}

function facts(page: ConsolePage, connection: ConnectionRow): SafeHtml {
  const { t } = page;
  const list = (values: string[] | null) => values?.join(', ') ?? t('settings.connections.all');
  return html`<dl class="facts">
<dt>${t('settings.connections.kind')}</dt><dd>${kindName(page, connection.kind)}</dd>
<dt>${t('settings.connections.key')}</dt><dd><code>${connection.key}</code></dd>
<dt>${t('settings.connections.redirect_uri')}</dt><dd><code id="redirect-uri">${connection.redirect_uri}</code><p class="hint">${t('settings.connections.redirect_uri_hint')}</p></dd>
<dt>${t('settings.connections.issuer')}</dt><dd><code>${connection.issuer}</code></dd>
<dt>${clientIdLabel(page, connection.kind)}</dt><dd><code>${connection.client_id}</code></dd>
<dt>${t('settings.connections.secret_set')}</dt><dd>${t(connection.has_client_secret ? 'settings.connections.secret_yes' : 'settings.connections.secret_no')}</dd>
<dt>${t('settings.connections.scopes')}</dt><dd><code>${connection.scopes}</code></dd>
<dt>${t('settings.connections.trust')}</dt><dd>${t(connection.trust_email_verified ? 'admin.yes' : 'admin.no')}</dd>
<dt>${t('settings.connections.state')}</dt><dd>${stateTag(page, connection.enabled)}</dd>
<dt>${t('settings.connections.offered')}</dt><dd>${connection.clients || connection.brands ? t('settings.connections.offered_some', { clients: list(connection.clients), brands: list(connection.brands) }) : t('settings.connections.offered_all')}</dd>
<dt>${t('settings.connections.updated')}</dt><dd>${when(page, connection.updated_at * 1000)}</dd>
</dl>`;
}

function settings(page: ConsolePage, view: ConnectionView, base: string): SafeHtml {
  const { t } = page;
  const { connection } = view;
  const values = view.values ?? storedValues(connection);
  const errors = view.errors ?? {};
  return html`<section aria-labelledby="settings-heading"><h2 id="settings-heading">${t('settings.connections.settings')}</h2>
<form method="post" action="${base}" class="console-form" novalidate>${csrfInput(view.csrf)}
${consoleField({ name: 'name', label: t('settings.connections.name'), hint: t('settings.connections.name_hint'), value: values.name, autocomplete: 'off', error: errors.name })}
${consoleField({ name: 'client_id', label: clientIdLabel(page, connection.kind), value: values.client_id, autocomplete: 'off', error: errors.client_id })}
${connection.kind === 'apple' ? '' : consoleField({ name: 'client_secret', type: 'password', label: t('settings.connections.client_secret_new'), hint: t('settings.connections.client_secret_keep'), autocomplete: 'off', required: false, error: errors.client_secret })}
${kindFields(page, connection.kind, view.preset, values, errors, true)}
${consoleField({ name: 'scopes', label: t('settings.connections.scopes'), hint: t('settings.connections.scopes_hint', { scopes: view.preset.scopes }), value: values.scopes, autocomplete: 'off', required: false, error: errors.scopes })}
${consoleCheckbox({ name: 'trust_email_verified', label: t('settings.connections.trust'), hint: t('settings.connections.trust_hint'), checked: values.trust_email_verified, error: errors.trust_email_verified })}
<button type="submit" class="primary">${t('admin.save')}</button>
</form></section>`;
}


/** Where the connection is offered: brands ticked and client ids listed narrow it; neither, every client. */
function offered(page: ConsolePage, view: ConnectionView, base: string): SafeHtml {
  const { t } = page;
  const { connection } = view;
  const offer = view.offer ?? { brands: connection.brands ?? [], clients: (connection.clients ?? []).join('\n') };
  const errors = view.errors ?? {};
  const brands = view.brands ?? [];
  return html`<section aria-labelledby="offered-heading"><h2 id="offered-heading">${t('settings.connections.offered_title')}</h2>
<p class="hint">${t('settings.connections.offered_lead')}</p>
<form method="post" action="${base}/offered" class="console-form" novalidate>${csrfInput(view.csrf)}
${brands.length
    ? html`<fieldset class="choices"${errors.offer_brands ? html` aria-describedby="offer_brands-error"` : ''}><legend>${t('settings.connections.offered_brands')}</legend>
<p class="hint">${t('settings.connections.offered_brands_hint')}</p>
${brands.map((brand) => html`<label class="check" for="offer-brand-${brand.key}"><input type="checkbox" id="offer-brand-${brand.key}" name="brands" value="${brand.key}"${offer.brands.includes(brand.key) ? html` checked` : ''}> ${brand.name}</label>`)}
${errors.offer_brands ? html`<p class="field-error" id="offer_brands-error">${errors.offer_brands}</p>` : ''}</fieldset>`
    : ''}
${consoleTextarea({ name: 'clients', id: 'field-offer_clients', label: t('settings.connections.offered_clients'), hint: t('settings.connections.offered_clients_hint'), rows: 3, required: false, value: offer.clients, error: errors.offer_clients })}
<button type="submit" class="secondary">${t('settings.connections.offered_submit')}</button>
</form></section>`;
}
