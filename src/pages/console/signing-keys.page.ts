import { html } from '../../markup/html.ts';
import { csrfInput } from '../layout.ts';
import { consoleLayout, formMessage, when, type ConsolePage } from './console-layout.ts';

/** A signing key as `GET /signing-keys` describes it (never its material). */
export interface SigningKeyRow {
  kid: string;
  alg: string;
  kty: string;
  state: 'active' | 'retired';
  created_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

/** The published signing keys, active first, and rotating them. */
export function signingKeysPage(page: ConsolePage, view: { csrf: string; keys: SigningKeyRow[]; canRotate: boolean; notice?: string }): string {
  const { t } = page;
  const date = (seconds: number | null) => (seconds === null ? '—' : when(page, seconds * 1000));
  return consoleLayout(page, t('admin.keys.title'), html`<p class="lead">${t('admin.keys.lead')}</p>
${formMessage(undefined, view.notice)}
${view.keys.length
    ? html`<div class="table-wrap"><table class="report"><thead><tr><th scope="col">${t('admin.keys.kid')}</th><th scope="col">${t('admin.keys.alg')}</th><th scope="col">${t('admin.keys.state')}</th><th scope="col">${t('admin.keys.created')}</th><th scope="col">${t('admin.keys.retired')}</th><th scope="col">${t('admin.keys.expires')}</th></tr></thead>
<tbody>${view.keys.map((key) => html`<tr><td><code>${key.kid}</code></td><td>${key.alg}</td><td><span class="tag">${t(key.state === 'active' ? 'admin.keys.state.active' : 'admin.keys.state.retired')}</span></td><td>${date(key.created_at)}</td><td>${date(key.retired_at)}</td><td>${date(key.expires_at)}</td></tr>`)}</tbody></table></div>`
    : html`<p class="empty">${t('admin.keys.none')}</p>`}
${view.canRotate
    ? html`<section aria-labelledby="rotate-heading"><h2 id="rotate-heading">${t('admin.keys.rotate')}</h2>
<p class="hint">${t('admin.keys.rotate_lead')}</p>
<form method="post" action="/console/signing-keys/rotate" class="inline-form">${csrfInput(view.csrf)}<button type="submit" class="secondary">${t('admin.keys.rotate_submit')}</button></form></section>`
    : ''}`);
}
