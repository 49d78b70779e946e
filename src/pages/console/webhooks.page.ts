import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { csrfInput } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';

/** A subscription as `GET /webhooks` answers it (the secret only in the creation answer). */
export interface WebhookRow {
  id: string;
  url: string;
  event_types: string[];
  description: string | null;
  created_at: number;
}

/** A delivery as `GET /webhooks/{id}/deliveries` answers it. */
export interface DeliveryRow {
  id: string;
  event_id: string;
  type: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookValues {
  url: string;
  event_types: string;
  description: string;
}

/** Every subscription: where events go and which. */
export function webhooksPage(page: ConsolePage, view: { webhooks: WebhookRow[]; canCreate: boolean; notice?: string | undefined }): string {
  const { t } = page;
  const rows = view.webhooks.map(
    (hook) => html`<tr><td><a href="/console/webhooks/${hook.id}"><code>${hook.url}</code></a></td><td>${hook.event_types.join(', ')}</td><td>${hook.description ?? ''}</td><td>${when(page, hook.created_at * 1000)}</td></tr>`,
  );
  return consoleLayout(page, t('settings.webhooks.title'), html`<p class="lead">${t('settings.webhooks.lead')}</p>
${formMessage(undefined, view.notice)}
${view.canCreate ? html`<p><a class="button primary inline" href="/console/webhooks/new">${t('settings.webhooks.new')}</a></p>` : ''}
${view.webhooks.length
    ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('settings.webhooks.url')}</th><th scope="col">${t('settings.webhooks.events')}</th><th scope="col">${t('settings.webhooks.description')}</th><th scope="col">${t('settings.webhooks.created')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="empty">${t('settings.webhooks.none')}</p>`}`);
}

/** Adding a subscription. */
export function webhookFormPage(page: ConsolePage, view: { csrf: string; values: WebhookValues; errors: FieldErrors }): string {
  const { t } = page;
  const { values, errors } = view;
  return consoleLayout(page, t('settings.webhooks.new'), html`<p class="lead">${t('settings.webhooks.new_lead')}</p>
${formMessage(errors)}
<form method="post" action="/console/webhooks/new" class="console-form" novalidate>${csrfInput(view.csrf)}
${consoleField({ name: 'url', label: t('settings.webhooks.url'), hint: t('settings.webhooks.url_hint'), value: values.url, autocomplete: 'off', error: errors.url })}
${consoleField({ name: 'event_types', label: t('settings.webhooks.events'), hint: t('settings.webhooks.events_hint'), value: values.event_types, autocomplete: 'off', error: errors.event_types })}
${consoleField({ name: 'description', label: t('settings.webhooks.description'), hint: t('settings.webhooks.description_hint'), value: values.description, autocomplete: 'off', required: false, error: errors.description })}
<button type="submit" class="primary">${t('settings.webhooks.create')}</button>
</form>
<p><a href="/console/webhooks">${t('settings.webhooks.back')}</a></p>`);
}

export interface WebhookView {
  csrf: string;
  hook: WebhookRow;
  /** The signing secret of the creation answer: on this page only, never again. */
  secret?: string | undefined;
  deliveries: DeliveryRow[];
  /** Dead letters only. */
  dead: boolean;
  /** Not the first page (a `before` cursor was given). */
  paged: boolean;
  next: string | null;
  can: { redeliver: boolean; redeliverDead: boolean; delete: boolean };
  notice?: string | undefined;
  errors?: FieldErrors | undefined;
}

/** One subscription: the secret once, its delivery log a page at a time (or its dead letters), redelivery and removal. */
export function webhookPage(page: ConsolePage, view: WebhookView): string {
  const { t } = page;
  const { hook } = view;
  const base = `/console/webhooks/${hook.id}`;
  const here = view.dead ? `${base}?status=dead` : base;
  return consoleLayout(page, hook.description ?? hook.url, html`${formMessage(view.errors, view.notice)}
${view.secret ? secretOnce(page, view.secret) : ''}
<dl class="facts">
<dt>${t('settings.webhooks.url')}</dt><dd><code>${hook.url}</code></dd>
<dt>${t('settings.webhooks.events')}</dt><dd>${hook.event_types.join(', ')}</dd>
<dt>${t('settings.webhooks.created')}</dt><dd>${when(page, hook.created_at * 1000)}</dd>
</dl>
<section aria-labelledby="deliveries-heading"><h2 id="deliveries-heading">${t(view.dead ? 'settings.webhooks.filter.dead' : 'settings.webhooks.deliveries')}</h2>
<p class="hint">${t('settings.webhooks.deliveries_lead')}</p>
<nav aria-label="${t('settings.webhooks.deliveries')}"><ul class="plain filters">
<li><a href="${base}"${view.dead ? '' : html` aria-current="page"`}>${t('settings.webhooks.filter.all')}</a></li>
<li><a href="${base}?status=dead"${view.dead ? html` aria-current="page"` : ''}>${t('settings.webhooks.filter.dead')}</a></li>
</ul></nav>
${view.deliveries.length ? deliveryTable(page, view, base) : html`<p class="empty">${t(view.paged ? 'settings.webhooks.no_more' : view.dead ? 'settings.webhooks.no_dead' : 'settings.webhooks.no_deliveries')}</p>`}
<p>${view.paged ? html`<a class="button secondary inline" href="${here}">${t('admin.first_page')}</a> ` : ''}${view.next ? html`<a class="button secondary inline" href="${here}${view.dead ? '&' : '?'}before=${view.next}">${t('admin.next_page')}</a>` : ''}</p>
</section>
${view.dead && view.deliveries.length && view.can.redeliverDead
    ? html`<section aria-labelledby="dead-heading"><h2 id="dead-heading">${t('settings.webhooks.redeliver_dead')}</h2>
<p class="hint">${t('settings.webhooks.redeliver_dead_lead')}</p>
<form method="post" action="${base}/redeliver-dead" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary">${t('settings.webhooks.redeliver_dead')}</button></form></section>`
    : ''}
${view.can.delete
    ? html`<section aria-labelledby="delete-heading"><h2 id="delete-heading">${t('settings.webhooks.delete')}</h2>
<p class="hint">${t('settings.webhooks.delete_lead')}</p>
<form method="post" action="${base}/delete" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary danger">${t('settings.webhooks.delete_submit')}</button></form></section>`
    : ''}
<p><a href="/console/webhooks">${t('settings.webhooks.back')}</a></p>`);
}

function deliveryTable(page: ConsolePage, view: WebhookView, base: string): SafeHtml {
  const { t } = page;
  const rows = view.deliveries.map(
    (delivery) => html`<tr><td>${delivery.type}</td><td><span class="tag${delivery.status === 'dead' ? ' warning' : ''}">${t(`settings.webhooks.status.${delivery.status}` as ConsoleKey)}</span></td><td>${delivery.attempts}</td><td>${delivery.last_error ? html`<span lang="en">${delivery.last_error}</span>` : ''}</td><td>${when(page, delivery.created_at * 1000)}</td><td>${delivery.delivered_at === null ? '—' : when(page, delivery.delivered_at * 1000)}</td><td>${view.can.redeliver && delivery.status !== 'pending'
      ? html`<form method="post" action="${base}/redeliver" class="inline-form">${csrfInput(view.csrf)}<input type="hidden" name="delivery" value="${delivery.id}">${view.dead ? html`<input type="hidden" name="view" value="dead">` : ''}<button type="submit" class="secondary" aria-label="${t('settings.webhooks.redeliver_label', { type: delivery.type })}">${t('settings.webhooks.redeliver')}</button></form>`
      : ''}</td></tr>`,
  );
  return html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('settings.webhooks.event')}</th><th scope="col">${t('settings.webhooks.status')}</th><th scope="col">${t('settings.webhooks.attempts')}</th><th scope="col">${t('settings.webhooks.last_error')}</th><th scope="col">${t('settings.webhooks.at')}</th><th scope="col">${t('settings.webhooks.delivered_at')}</th><th scope="col"><span class="visually-hidden">${t('settings.webhooks.redeliver')}</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function secretOnce(page: ConsolePage, secret: string): SafeHtml {
  const { t } = page;
  return html`<section class="attention secret-once" aria-labelledby="secret-heading"><h2 id="secret-heading">${t('settings.webhooks.once_title')}</h2>
<p>${t('settings.webhooks.once_lead')}</p>
<p class="secret"><code id="webhook-secret">${secret}</code></p>
</section>`;
}
