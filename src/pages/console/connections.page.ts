import type { ConnectionKind as RegisteredKind } from '../../federation/connectors/registry.ts';
import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, type ConsolePage, type FieldErrors } from './console-layout.ts';
import { consoleCheckbox, consoleTextarea } from './form-controls.ts';

/** The providers in the order the console offers them: every registered kind (a new one fails type checking here until it is added). */
export const CONNECTION_KINDS = ['google', 'apple', 'microsoft', 'meta', 'oidc'] as const satisfies readonly RegisteredKind[];
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];
export const everyKindOffered: [Exclude<RegisteredKind, ConnectionKind>] extends [never] ? true : never = true;

/** A connection as the `/connections` operations answer it (never its secret). */
export interface ConnectionRow {
  key: string;
  kind: ConnectionKind;
  name: string;
  issuer: string;
  client_id: string;
  has_client_secret: boolean;
  scopes: string;
  trust_email_verified: boolean;
  enabled: boolean;
  clients: string[] | null;
  brands: string[] | null;
  apple?: { team_id: string; key_id: string };
  microsoft?: { tenant: string; allowed_tenants: string[] | null };
  meta?: { api_version: string };
  redirect_uri: string;
  created_at: number;
  updated_at: number;
}

/** A preset's defaults, as the form explains them. */
export interface PresetFacts {
  name: string;
  scopes: string;
  trust: boolean;
  apiVersion: string;
}

/** The connection form as typed; secrets are never drawn again. */
export interface ConnectionValues {
  key: string;
  name: string;
  issuer: string;
  client_id: string;
  scopes: string;
  trust_email_verified: boolean;
  enabled: boolean;
  team_id: string;
  key_id: string;
  tenant: string;
  allowed_tenants: string;
  api_version: string;
}

export const kindName = (page: ConsolePage, kind: string) => page.t(`settings.connections.kind.${kind}` as ConsoleKey);
export const stateTag = (page: ConsolePage, enabled: boolean) => html`<span class="tag${enabled ? '' : ' warning'}">${page.t(enabled ? 'settings.connections.on' : 'settings.connections.off')}</span>`;

/** Every connection, on or off. */
export function connectionsPage(page: ConsolePage, view: { connections: ConnectionRow[]; canCreate: boolean; notice?: string | undefined }): string {
  const { t } = page;
  const rows = view.connections.map(
    (connection) => html`<tr><td><a href="/console/connections/${connection.key}">${connection.name}</a></td><td><code>${connection.key}</code></td><td>${kindName(page, connection.kind)}</td><td><code>${connection.client_id}</code></td><td>${stateTag(page, connection.enabled)}</td></tr>`,
  );
  return consoleLayout(page, t('settings.connections.title'), html`<p class="lead">${t('settings.connections.lead')}</p>
${formMessage(undefined, view.notice)}
${view.canCreate ? html`<p><a class="button primary inline" href="/console/connections/new">${t('settings.connections.new')}</a></p>` : ''}
${view.connections.length
    ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('settings.connections.name')}</th><th scope="col">${t('settings.connections.key')}</th><th scope="col">${t('settings.connections.kind')}</th><th scope="col">${t('settings.connections.client_id')}</th><th scope="col">${t('settings.connections.state')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="empty">${t('settings.connections.none')}</p>`}`);
}

/** Choosing the provider a new connection is to. */
export function connectionPresetsPage(page: ConsolePage): string {
  const { t } = page;
  return consoleLayout(page, t('settings.connections.choose'), html`<p class="lead">${t('settings.connections.choose_lead')}</p>
<ul class="items">${CONNECTION_KINDS.map((kind) => html`<li class="item"><div><a href="/console/connections/new?kind=${kind}">${kindName(page, kind)}</a><p class="hint">${t(`settings.connections.kind.${kind}.hint` as ConsoleKey)}</p></div></li>`)}</ul>
<p><a href="/console/connections">${t('settings.connections.back')}</a></p>`);
}

/** A new connection to one provider: the fields that provider needs. */
export function connectionFormPage(page: ConsolePage, view: { csrf: string; kind: ConnectionKind; preset: PresetFacts; values: ConnectionValues; errors: FieldErrors }): string {
  const { t } = page;
  const { kind, values, errors } = view;
  return consoleLayout(page, t('settings.connections.new_title', { provider: kindName(page, kind) }), html`<p class="lead">${t(`settings.connections.kind.${kind}.hint` as ConsoleKey)}</p>
${formMessage(errors)}
<form method="post" action="/console/connections/new" class="console-form" novalidate>${csrfInput(view.csrf)}
<input type="hidden" name="kind" value="${kind}">
${consoleField({ name: 'key', label: t('settings.connections.key'), hint: t('settings.connections.key_hint'), value: values.key, autocomplete: 'off', error: errors.key })}
${kind === 'oidc'
    ? html`${consoleField({ name: 'name', label: t('settings.connections.name'), hint: t('settings.connections.name_hint'), value: values.name, autocomplete: 'off', error: errors.name })}
${consoleField({ name: 'issuer', label: t('settings.connections.issuer'), hint: t('settings.connections.issuer_hint'), value: values.issuer, autocomplete: 'off', error: errors.issuer })}`
    : consoleField({ name: 'name', label: t('settings.connections.name'), hint: t('settings.connections.name_preset_hint', { name: view.preset.name }), value: values.name, autocomplete: 'off', required: false, error: errors.name })}
${consoleField({ name: 'client_id', label: clientIdLabel(page, kind), value: values.client_id, autocomplete: 'off', error: errors.client_id })}
${kind === 'apple' ? '' : consoleField({ name: 'client_secret', type: 'password', label: secretLabel(page, kind), hint: t('settings.connections.client_secret_hint'), autocomplete: 'off', required: kind === 'meta', error: errors.client_secret })}
${kindFields(page, kind, view.preset, values, errors, false)}
${consoleField({ name: 'scopes', label: t('settings.connections.scopes'), hint: t('settings.connections.scopes_hint', { scopes: view.preset.scopes }), value: values.scopes, autocomplete: 'off', required: false, error: errors.scopes })}
${consoleCheckbox({ name: 'trust_email_verified', label: t('settings.connections.trust'), hint: t('settings.connections.trust_hint'), checked: values.trust_email_verified, error: errors.trust_email_verified })}
${consoleCheckbox({ name: 'enabled', label: t('settings.connections.enabled'), hint: t('settings.connections.enabled_hint'), checked: values.enabled })}
<button type="submit" class="primary">${t('settings.connections.create')}</button>
</form>
<p><a href="/console/connections/new">${t('settings.connections.choose')}</a></p>`);
}

export const clientIdLabel = (page: ConsolePage, kind: string) => page.t(kind === 'apple' ? 'settings.connections.client_id.apple' : kind === 'meta' ? 'settings.connections.client_id.meta' : 'settings.connections.client_id');
export const secretLabel = (page: ConsolePage, kind: string) => page.t(kind === 'meta' ? 'settings.connections.client_secret.meta' : 'settings.connections.client_secret');

/** What only one provider takes: Apple's team, key and key file; Microsoft's tenants; Meta's API version. */
export function kindFields(page: ConsolePage, kind: ConnectionKind, preset: PresetFacts, values: ConnectionValues, errors: FieldErrors, existing: boolean): SafeHtml {
  const { t } = page;
  if (kind === 'apple') {
    return html`${consoleField({ name: 'team_id', label: t('settings.connections.team_id'), hint: t('settings.connections.team_id_hint'), value: values.team_id, autocomplete: 'off', error: errors.team_id })}
${consoleField({ name: 'key_id', label: t('settings.connections.key_id'), hint: t('settings.connections.key_id_hint'), value: values.key_id, autocomplete: 'off', error: errors.key_id })}
${consoleTextarea({ name: 'private_key', label: t('settings.connections.private_key'), hint: t(existing ? 'settings.connections.private_key_keep' : 'settings.connections.private_key_hint'), rows: 5, required: !existing, error: errors.private_key })}`;
  }
  if (kind === 'microsoft') {
    return html`${consoleField({ name: 'tenant', label: t('settings.connections.tenant'), hint: t('settings.connections.tenant_hint'), value: values.tenant, autocomplete: 'off', error: errors.tenant })}
${consoleTextarea({ name: 'allowed_tenants', label: t('settings.connections.allowed_tenants'), hint: t('settings.connections.allowed_tenants_hint'), value: values.allowed_tenants, rows: 3, required: false, error: errors.allowed_tenants })}`;
  }
  if (kind === 'meta') return consoleField({ name: 'api_version', label: t('settings.connections.api_version'), hint: t('settings.connections.api_version_hint', { version: preset.apiVersion }), value: values.api_version, autocomplete: 'off', required: false, error: errors.api_version });
  return html``;
}
