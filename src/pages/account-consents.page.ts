import type { ConsentState } from '../consent/consent-ledger.ts';
import type { ShownPurpose } from '../consent/sign-up-purposes.ts';
import type { MessageKey } from '../i18n/en.ts';
import { html } from '../markup/html.ts';
import { csrfInput, layout, type PageContext } from './layout.ts';

/** One decision as the customer sees it; `source`: the platform that recorded it and when it captured it; `counted` false: kept as history only. */
export interface ConsentHistoryEntry {
  purpose: string;
  version: number;
  decision: string;
  channel: string;
  recordedAt: number;
  source: { platform: string; capturedAt: number } | null;
  counted: boolean;
}

export interface ConsentsView {
  csrf: string;
  purposes: ShownPurpose[];
  states: ConsentState[];
  history: ConsentHistoryEntry[];
  notice?: string;
  /** The purpose that gates personalization: its card says, before the click, what withdrawing it deletes. */
  gatingPurpose?: string;
}

/** /account/consents: every purpose in plain words, its state and history; changing it is one click, agreeing and withdrawing look the same. */
export function accountConsentsPage(page: PageContext, view: ConsentsView): string {
  const { t } = page;
  const format = (options: Intl.DateTimeFormatOptions) => (epochMs: number) => new Intl.DateTimeFormat(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { ...options, timeZone: 'Europe/Stockholm' }).format(epochMs);
  const when = format({ dateStyle: 'medium', timeStyle: 'short' });
  const day = format({ dateStyle: 'long' });
  const origin = (entry: ConsentHistoryEntry) =>
    [entry.source ? t('consents.history.source', { platform: entry.source.platform, date: day(entry.source.capturedAt) }) : '', entry.counted ? '' : t('consents.history.late')].filter(Boolean).map((words) => html` <span class="hint">${words}</span>`);
  const items = view.purposes.map((purpose) => {
    const state = view.states.find((entry) => entry.purpose === purpose.key);
    const granted = state?.effective === true;
    const outdated = state?.state === 'granted' && !granted;
    const label = outdated ? t('consents.state.outdated') : t(`consents.state.${state?.state ?? 'not_asked'}` as MessageKey);
    const history = view.history.filter((entry) => entry.purpose === purpose.key);
    return html`<li class="consent" data-purpose="${purpose.key}" data-state="${granted ? 'granted' : (state?.state ?? 'not_asked')}">
<p class="purpose-title">${purpose.title}</p>
<p class="hint">${purpose.description}</p>
<p class="state">${label}</p>
${purpose.key === view.gatingPurpose ? html`<p class="hint gate-note">${t('consents.gate_note')} <a href="/account/personalization">${t('account.personalization.link')}</a></p>` : ''}
${
  purpose.required
    ? ''
    : html`<form method="post" action="/account/consents/${purpose.key}" class="inline-action">
${csrfInput(view.csrf)}
<input type="hidden" name="version" value="${purpose.version}">
<button type="submit" class="secondary" name="decision" value="${granted ? 'withdrawn' : 'granted'}">${granted ? t('consents.withdraw') : t('consents.grant')}</button>
</form>`
}
<details><summary>${t('consent.purposes.legal')}</summary><p class="hint">${purpose.legalText}</p></details>
${
  history.length
    ? html`<details><summary>${t('consents.history')}</summary><ul class="history">${history.map(
        (entry) =>
          html`<li${entry.counted ? '' : html` class="uncounted"`}>${t('consents.history.entry', { time: when(entry.recordedAt), decision: t(`consents.decision.${entry.decision}` as MessageKey), version: entry.version, channel: entry.channel })}${origin(entry)}</li>`,
      )}</ul></details>`
    : ''
}
</li>`;
  });
  return layout(
    page,
    t('consents.title'),
    html`<h1>${t('consents.title')}</h1>
<p class="lead">${t('consents.lead')}</p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
<ul class="consents">${items}</ul>
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
