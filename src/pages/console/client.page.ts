import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { csrfInput } from '../layout.ts';
import { clientFacts, clientSettings, type BrandChoice, type ClientKind, type ClientSummary, type ClientValues } from './clients.page.ts';
import { consoleLayout, formMessage, type ConsolePage, type FieldErrors } from './console-layout.ts';

export type SettingsValues = Pick<ClientValues, 'redirect_uris' | 'first_party' | 'brand'>;

export interface ClientView {
  csrf: string;
  client: ClientSummary;
  kind: ClientKind;
  brands: BrandChoice[];
  /** The secret of the answer just given (registration or a new secret): on this page only, never again. */
  secret?: string;
  /** Just registered. */
  created?: boolean;
  notice?: string;
  errors?: FieldErrors;
  /** The change form as typed, when it was refused. */
  values?: SettingsValues;
}

/** The warning codes the API names (client-safety.ts), in plain words. */
const WARNINGS = new Set(['confidential_native_client', 'client_secret_post', 'http_redirect_uri']);

/** One client: its facts and warnings, the secret shown once, its settings, a new secret, removal. */
export function clientPage(page: ConsolePage, view: ClientView): string {
  const { t } = page;
  const { client } = view;
  const base = `/console/clients/${encodeURIComponent(client.client_id)}`;
  const values = view.values ?? { redirect_uris: client.redirect_uris.join('\n'), first_party: client.first_party, brand: client.brand ?? '' };
  return consoleLayout(page, client.client_name, html`${view.created ? html`<p class="notice" role="status">${t('admin.clients.created_notice')}</p>` : ''}
${formMessage(view.errors, view.notice)}
${view.secret ? secretOnce(page, view.secret) : ''}
${warnings(page, client)}
<div class="console-columns"><div>
<section aria-labelledby="facts-heading"><h2 id="facts-heading">${t('admin.clients.facts')}</h2>${clientFacts(page, client, view.kind, view.brands)}</section>
<section aria-labelledby="settings-heading"><h2 id="settings-heading">${t('admin.clients.settings')}</h2>
<form method="post" action="${base}" class="console-form" novalidate>${csrfInput(view.csrf)}
${clientSettings(page, view.brands, values, view.errors ?? {})}
<button type="submit" class="primary">${t('admin.save')}</button>
</form></section>
</div><div>
${client.token_endpoint_auth_method === 'none' ? html`<section aria-labelledby="secret-new-heading"><h2 id="secret-new-heading">${t('admin.clients.secret')}</h2><p class="hint">${t('admin.clients.public_lead')}</p></section>` : newSecret(page, view, base)}
<section aria-labelledby="delete-heading"><h2 id="delete-heading">${t('admin.clients.delete')}</h2>
<p class="hint">${t('admin.clients.delete_lead')}</p>
<form method="post" action="${base}/delete" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary danger">${t('admin.clients.delete_submit', { name: client.client_name })}</button></form>
</section>
<p><a href="/console/clients">${t('admin.clients.back')}</a></p>
</div></div>`);
}

function secretOnce(page: ConsolePage, secret: string): SafeHtml {
  const { t } = page;
  return html`<section class="attention secret-once" aria-labelledby="secret-heading"><h2 id="secret-heading">${t('admin.clients.secret_once_title')}</h2>
<p>${t('admin.clients.secret_once_lead')}</p>
<p class="secret"><code id="client-secret">${secret}</code></p>
</section>`;
}

function warnings(page: ConsolePage, client: ClientSummary): SafeHtml {
  const { t } = page;
  const known = client.warnings.filter((warning) => WARNINGS.has(warning.code));
  if (!known.length) return html``;
  return html`<section class="attention" aria-labelledby="warnings-heading"><h2 id="warnings-heading">${t('admin.clients.warnings')}</h2>
<ul class="warnings">${known.map((warning) => html`<li>${t(`admin.clients.warning.${warning.code}` as ConsoleKey)}</li>`)}</ul></section>`;
}

function newSecret(page: ConsolePage, view: ClientView, base: string): SafeHtml {
  const { t } = page;
  return html`<section aria-labelledby="secret-new-heading"><h2 id="secret-new-heading">${t('admin.clients.secret')}</h2>
<p class="hint">${t('admin.clients.new_secret_lead')}</p>
<form method="post" action="${base}/secret" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary">${t('admin.clients.new_secret')}</button></form>
</section>`;
}
