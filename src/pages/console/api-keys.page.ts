import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { ROLES } from '../../operators/operator-roles.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';

/** A key as `GET /api-keys` answers it (never its secret). */
export interface ApiKeyRow {
  id: string;
  name: string;
  role: string;
  systems: string[] | null;
  consent_purposes: string[] | null;
  store: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface ApiKeyValues {
  name: string;
  role: string;
  systems: string;
  consent_purposes: string;
  store: string;
}

const date = (page: ConsolePage, seconds: number | null) => (seconds === null ? page.t('settings.never') : when(page, seconds * 1000));
const roleName = (page: ConsolePage, role: string) => page.t(`role.${role}` as ConsoleKey);
const state = (page: ConsolePage, key: ApiKeyRow) => (key.revoked_at === null ? html`<span class="tag">${page.t('settings.keys.active')}</span>` : html`<span class="tag warning">${page.t('settings.keys.revoked', { date: date(page, key.revoked_at) })}</span>`);

/** Every key, revoked ones included, with its role and when it was last used. */
export function apiKeysPage(page: ConsolePage, view: { keys: ApiKeyRow[]; canCreate: boolean; notice?: string | undefined }): string {
  const { t } = page;
  const rows = view.keys.map(
    (key) => html`<tr><td><a href="/console/api-keys/${key.id}">${key.name}</a></td><td>${roleName(page, key.role)}</td><td>${key.systems?.join(', ') ?? '—'}</td><td>${key.consent_purposes?.join(', ') ?? '—'}</td><td>${date(page, key.created_at)}</td><td>${date(page, key.last_used_at)}</td><td>${state(page, key)}</td></tr>`,
  );
  return consoleLayout(page, t('settings.keys.title'), html`<p class="lead">${t('settings.keys.lead')}</p>
${formMessage(undefined, view.notice)}
${view.canCreate ? html`<p><a class="button primary inline" href="/console/api-keys/new">${t('settings.keys.new')}</a></p>` : ''}
${view.keys.length
    ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('settings.keys.name')}</th><th scope="col">${t('settings.keys.role')}</th><th scope="col">${t('settings.keys.systems')}</th><th scope="col">${t('settings.keys.consent_purposes')}</th><th scope="col">${t('settings.keys.created')}</th><th scope="col">${t('settings.keys.last_used')}</th><th scope="col">${t('settings.keys.state')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="empty">${t('settings.keys.none')}</p>`}`);
}

/** Creating a key: its name, its one role, and for an integration the systems it writes references for and the purposes it may record consent for. */
export function apiKeyFormPage(page: ConsolePage, view: { csrf: string; values: ApiKeyValues; errors: FieldErrors }): string {
  const { t } = page;
  const { values, errors } = view;
  return consoleLayout(page, t('settings.keys.new'), html`<p class="lead">${t('settings.keys.new_lead')}</p>
${formMessage(errors)}
<form method="post" action="/console/api-keys/new" class="console-form" novalidate>${csrfInput(view.csrf)}
${consoleField({ name: 'name', label: t('settings.keys.name'), hint: t('settings.keys.name_hint'), value: values.name, autocomplete: 'off', error: errors.name })}
<fieldset class="choices"${errors.role ? html` aria-describedby="role-error"` : ''}><legend>${t('settings.keys.role')}</legend>
${ROLES.map((role) => html`<label class="check" for="role-${role}"><input type="radio" id="role-${role}" name="role" value="${role}"${values.role === role ? html` checked` : ''}> ${roleName(page, role)}</label>`)}
</fieldset>
${errors.role ? html`<p class="field-error" id="role-error">${errors.role}</p>` : ''}
${consoleField({ name: 'systems', label: t('settings.keys.systems'), hint: t('settings.keys.systems_hint'), value: values.systems, autocomplete: 'off', required: false, error: errors.systems })}
${consoleField({ name: 'consent_purposes', label: t('settings.keys.consent_purposes'), hint: t('settings.keys.consent_purposes_hint'), value: values.consent_purposes, autocomplete: 'off', required: false, error: errors.consent_purposes })}
${consoleField({ name: 'store', label: t('settings.keys.store'), hint: t('settings.keys.store_hint'), value: values.store, autocomplete: 'off', required: false, error: errors.store })}
<button type="submit" class="primary">${t('settings.keys.create')}</button>
</form>
<p><a href="/console/api-keys">${t('settings.keys.back')}</a></p>`);
}

/** One key: its facts, the key itself right after creation (this once), and revoking it. */
export function apiKeyPage(page: ConsolePage, view: { csrf: string; key: ApiKeyRow; secret?: string; canRevoke: boolean; notice?: string | undefined; errors?: FieldErrors }): string {
  const { t } = page;
  const { key } = view;
  return consoleLayout(page, key.name, html`${formMessage(view.errors, view.notice)}
${view.secret ? secretOnce(page, view.secret) : ''}
<dl class="facts">
<dt>${t('settings.keys.role')}</dt><dd>${roleName(page, key.role)}</dd>
<dt>${t('settings.keys.systems')}</dt><dd>${key.systems?.join(', ') ?? '—'}</dd>
<dt>${t('settings.keys.consent_purposes')}</dt><dd>${key.consent_purposes?.join(', ') ?? '—'}</dd>
<dt>${t('settings.keys.store')}</dt><dd>${key.store ?? '—'}</dd>
<dt>${t('settings.keys.created')}</dt><dd>${date(page, key.created_at)}</dd>
<dt>${t('settings.keys.last_used')}</dt><dd>${date(page, key.last_used_at)}</dd>
<dt>${t('settings.keys.state')}</dt><dd>${state(page, key)}</dd>
</dl>
${view.canRevoke && key.revoked_at === null
    ? html`<section aria-labelledby="revoke-heading"><h2 id="revoke-heading">${t('settings.keys.revoke')}</h2>
<p class="hint">${t('settings.keys.revoke_lead')}</p>
<form method="post" action="/console/api-keys/${key.id}/revoke" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary danger">${t('settings.keys.revoke_submit', { name: key.name })}</button></form></section>`
    : ''}
<p><a href="/console/api-keys">${t('settings.keys.back')}</a></p>`);
}

function secretOnce(page: ConsolePage, secret: string): SafeHtml {
  const { t } = page;
  return html`<section class="attention secret-once" aria-labelledby="secret-heading"><h2 id="secret-heading">${t('settings.keys.once_title')}</h2>
<p>${t('settings.keys.once_lead')}</p>
<p class="secret"><code id="api-key">${secret}</code></p>
</section>`;
}
