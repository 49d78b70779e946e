import { html, type SafeHtml } from '../../markup/html.ts';
import type { ConsoleKey } from '../../i18n/console-en.ts';
import { csrfInput } from '../layout.ts';
import { consoleLayout, formMessage, when, type ConsolePage, type FieldErrors } from './console-layout.ts';

export interface CustomerProfile {
  id: string;
  email: string;
  email_verified: boolean;
  phone_number: string | null;
  phone_number_verified: boolean;
  given_name: string | null;
  family_name: string | null;
  status: string;
  created_at: number;
}

export interface TimelineEntry {
  at: number;
  action: string;
  actor: { type: string; id: string | null };
}

/** What the page shows; a section is absent when the operator's roles do not admit its operation. */
export interface CustomerView {
  csrf: string;
  customer: CustomerProfile;
  attributes?: Record<string, unknown>;
  references?: Array<{ system: string; reference: string }>;
  consents?: { consents: Array<{ purpose: string; state: string; version: number | null; current_version: number; effective: boolean }>; history: Array<{ purpose: string; version: number; decision: string; channel: string; actor_type: string; actor_id: string | null; recorded_at: number }> };
  purposes?: Array<{ key: string; version: number; title: string }>;
  orders?: Array<{ reference: string; created_at: number }>;
  timeline?: TimelineEntry[];
  /** Operators' names by `operator:{id}`, for the timeline and the consent history. */
  names: Map<string, string>;
  actions: { identify: boolean; endSessions: boolean; resend: boolean; recordConsent: boolean; erase: boolean };
  notice?: string;
  errors?: FieldErrors;
}

/** One customer, as customer service and the privacy officer see them, with the actions their roles admit. */
export function customerPage(page: ConsolePage, view: CustomerView): string {
  const c = view.customer;
  const name = [c.given_name, c.family_name].filter(Boolean).join(' ') || c.email;
  return consoleLayout(page, name, html`${formMessage(view.errors, view.notice)}
<div class="console-columns">
<div>${profile(page, view)}${facts(page, 'customer.attributes', view.attributes && Object.entries(view.attributes).map(([key, value]) => [key, String(value)]))}${facts(page, 'customer.references', view.references?.map((ref) => [ref.system, ref.reference]))}${consents(page, view)}${orders(page, view)}${timeline(page, view)}</div>
<div>${actions(page, view)}</div>
</div>`);
}

function profile(page: ConsolePage, view: CustomerView): SafeHtml {
  const { t } = page;
  const c = view.customer;
  const proven = (yes: boolean) => html` <span class="tag">${t(yes ? 'customer.verified' : 'customer.unverified')}</span>`;
  return html`<section aria-labelledby="profile-heading"><h2 id="profile-heading">${t('customer.profile')}</h2>
<dl class="facts">
<dt>${t('customer.email')}</dt><dd>${c.email}${proven(c.email_verified)}</dd>
<dt>${t('customer.phone')}</dt><dd>${c.phone_number ?? '—'}${c.phone_number ? proven(c.phone_number_verified) : ''}</dd>
<dt>${t('customer.status')}</dt><dd>${c.status}</dd>
<dt>${t('customer.created')}</dt><dd>${when(page, c.created_at * 1000)}</dd>
</dl></section>`;
}

function facts(page: ConsolePage, title: ConsoleKey, rows: string[][] | undefined): SafeHtml {
  if (!rows) return html``;
  const id = title.replace('.', '-');
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${page.t(title)}</h2>
${rows.length ? html`<dl class="facts">${rows.map(([key, value]) => html`<dt>${key}</dt><dd>${value}</dd>`)}</dl>` : html`<p class="empty">${page.t('customer.none')}</p>`}</section>`;
}

/** A text of the page's language for a code the operations answer (an audit action, a state), or the code itself. */
function said(page: ConsolePage, key: string, code: string): string {
  const text = page.t(key as ConsoleKey);
  return text === key ? code : text;
}

const titleOf = (view: CustomerView, purpose: string) => view.purposes?.find((candidate) => candidate.key === purpose)?.title ?? purpose;

const who = (view: CustomerView, actor: { type: string; id: string | null }) => (actor.id && view.names.get(actor.id)) ?? actor.id ?? actor.type;

function consents(page: ConsolePage, view: CustomerView): SafeHtml {
  const { t } = page;
  if (!view.consents) return html``;
  return html`<section aria-labelledby="consents-heading"><h2 id="consents-heading">${t('customer.consents')}</h2>
${view.consents.consents.length ? html`<ul class="items">${view.consents.consents.map((consent) => html`<li class="item"><div>${titleOf(view, consent.purpose)}</div><div><span class="tag">${said(page, `consent.state.${consent.state}`, consent.state)}${consent.version ? ` v${consent.version}` : ''}</span></div></li>`)}</ul>` : html`<p class="empty">${t('customer.none')}</p>`}
${view.consents.history.length ? html`<details><summary>${t('customer.consent_history')}</summary><ul class="history">${view.consents.history.map((record) => html`<li>${when(page, record.recorded_at * 1000)} · ${titleOf(view, record.purpose)} v${record.version} · ${said(page, `consent.state.${record.decision}`, record.decision)} · ${record.channel} · ${who(view, { type: record.actor_type, id: record.actor_id })}</li>`)}</ul></details>` : ''}
</section>`;
}

function orders(page: ConsolePage, view: CustomerView): SafeHtml {
  if (!view.orders) return html``;
  return facts(page, 'customer.orders', view.orders.map((order) => [order.reference, when(page, order.created_at * 1000)]));
}

function timeline(page: ConsolePage, view: CustomerView): SafeHtml {
  const { t } = page;
  if (!view.timeline) return html``;
  return html`<section aria-labelledby="timeline-heading"><h2 id="timeline-heading">${t('customer.timeline')}</h2>
${view.timeline.length ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('table.when')}</th><th scope="col">${t('table.what')}</th><th scope="col">${t('table.who')}</th></tr></thead>
<tbody>${view.timeline.map((entry) => html`<tr><td>${when(page, entry.at * 1000)}</td><td>${said(page, `timeline.${entry.action}`, entry.action)}</td><td>${who(view, entry.actor)}</td></tr>`)}</tbody></table></div>` : html`<p class="empty">${t('customer.none')}</p>`}
</section>`;
}

function actions(page: ConsolePage, view: CustomerView): SafeHtml {
  const { t } = page;
  const base = `/console/customers/${view.customer.id}`;
  const button = (path: string, label: ConsoleKey, extra: SafeHtml = html``) => html`<form method="post" action="${base}/${path}" class="inline-form">${csrfInput(view.csrf)}${extra}<button type="submit" class="secondary">${t(label)}</button></form>`;
  const identify = view.actions.identify
    ? html`<section aria-labelledby="identify-heading"><h2 id="identify-heading">${t('customer.identify')}</h2><p class="hint">${t('customer.identify_lead')}</p>
${(['portal', 'email', 'sms'] as const).map((channel) => button('verifications', `customer.identify_${channel}`, html`<input type="hidden" name="channel" value="${channel}">`))}</section>`
    : '';
  return html`${identify}${recordConsent(page, view, base)}
${view.actions.resend ? button('email-verification', 'customer.resend') : ''}
${view.actions.endSessions ? button('sessions', 'customer.end_sessions') : ''}
${view.actions.erase ? html`<section aria-labelledby="erase-heading"><h2 id="erase-heading">${t('customer.erase')}</h2><p class="hint">${t('customer.erase_lead')}</p>${button('erasure', 'customer.erase')}</section>` : ''}`;
}

function recordConsent(page: ConsolePage, view: CustomerView, base: string): SafeHtml {
  const { t } = page;
  if (!view.actions.recordConsent || !view.purposes?.length) return html``;
  return html`<section aria-labelledby="record-heading"><h2 id="record-heading">${t('customer.record_consent')}</h2>
<form method="post" action="${base}/consents" novalidate>${csrfInput(view.csrf)}
<div class="field"><label for="field-purpose">${t('customer.purpose')}</label><select id="field-purpose" name="purpose">${view.purposes.map((purpose) => html`<option value="${purpose.key}">${purpose.title}</option>`)}</select></div>
<fieldset><legend>${t('customer.decision')}</legend>
${(['granted', 'declined', 'withdrawn'] as const).map((decision, index) => html`<label class="check"><input type="radio" name="decision" value="${decision}"${index === 0 ? html` checked` : ''}> ${t(`customer.decision.${decision}`)}</label>`)}
</fieldset>
${view.errors?.decision ? html`<p class="field-error">${view.errors.decision}</p>` : ''}
<button type="submit" class="secondary">${t('customer.record')}</button></form></section>`;
}
