import { describeDevice, type CustomerSession } from '../account/customer-sessions.ts';
import type { Passkey } from '../credentials/passkeys.ts';
import type { SecondFactorStatus } from '../credentials/second-factors.ts';
import { html, type SafeHtml } from '../markup/html.ts';
import { csrfInput, layout, passkeyButton, type PageContext } from './layout.ts';

export interface AccountSecurityView {
  csrf: string;
  email: string;
  emailVerified: boolean;
  phone: string | null;
  currentSessionUid: string;
  sessions: CustomerSession[];
  factors: SecondFactorStatus;
  passkeys: Passkey[];
  /** False when adding one first needs a fresh (multi-factor) sign-in: the button becomes a link to it. */
  canAddPasskey: boolean;
  notice?: string;
}

function when(page: PageContext, epochMs: number): string {
  return new Intl.DateTimeFormat(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Stockholm' }).format(epochMs);
}

function postButton(action: string, csrf: string, label: string, className = 'secondary'): SafeHtml {
  return html`<form method="post" action="${action}" class="inline-action">${csrfInput(csrf)}<button type="submit" class="${className}">${label}</button></form>`;
}

/** /account/security: where the customer is signed in, two-step verification and passkeys. */
export function accountSecurityPage(page: PageContext, view: AccountSecurityView): string {
  const { t } = page;
  return layout(
    page,
    t('account.title'),
    html`<h1>${t('account.title')}</h1>
<p class="lead">${t('account.signed_in_as', { email: view.email })} <a href="/session/end">${t('account.sign_out')}</a></p>
<p><a href="/account/profile">${t('account.profile.link')}</a></p>
<p><a href="/account/password">${t('account.password.link')}</a></p>
<p><a href="/account/email">${t('account.email.link')}</a></p>
<p><a href="/account/connections">${t('account.connections.link')}</a></p>
<p><a href="/account/verifications">${t('account.verifications.link')}</a></p>
<p><a href="/account/consents">${t('account.consents.link')}</a></p>
<p><a href="/account/personalization">${t('account.personalization.link')}</a></p>
<p><a href="/account/member">${t('account.member.link')}</a></p>
<p><a href="/account/privacy">${t('privacy.link')}</a></p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${emailSection(page, view)}
${sessionsSection(page, view)}
${phoneSection(page, view)}
${mfaSection(page, view)}
${passkeysSection(page, view)}`,
  );
}

/** An address not yet verified: a button that sends the link. */
function emailSection({ t }: PageContext, view: AccountSecurityView): SafeHtml | string {
  return view.emailVerified
    ? ''
    : html`<section aria-labelledby="email-title" class="attention">
<h2 id="email-title">${t('verify.title')}</h2>
<p class="hint">${t('account.email.unverified', { email: view.email })}</p>
${postButton('/account/verify-email/send', view.csrf, t('account.email.send'), 'primary')}
</section>`;
}

/** Where the customer is signed in; each other device can be signed out. */
function sessionsSection(page: PageContext, view: AccountSecurityView): SafeHtml {
  const { t } = page;
  const sessions = view.sessions.map((session) => {
    const { browser, system } = describeDevice(session.userAgent);
    const device = browser && system ? t('account.sessions.device', { browser, system }) : browser || system || t('account.sessions.unknown_device');
    const current = session.uid === view.currentSessionUid;
    return html`<li class="item" data-session="${session.uid}">
<div><strong>${device}</strong>${current ? html` <span class="tag">${t('account.sessions.this_device')}</span>` : ''}
<p class="hint">${t('account.sessions.last_used', { time: when(page, session.lastUsedAt) })}</p></div>
${current ? '' : postButton(`/account/security/sessions/${session.uid}/end`, view.csrf, t('account.sessions.end'))}
</li>`;
  });
  return html`<section aria-labelledby="sessions-title">
<h2 id="sessions-title">${t('account.sessions.title')}</h2>
<p class="hint">${t('account.sessions.lead')}</p>
<ul class="items">${sessions}</ul>
${view.sessions.length > 1 ? postButton('/account/security/sessions/end-others', view.csrf, t('account.sessions.end_others')) : ''}
</section>`;
}

function phoneSection({ t }: PageContext, view: AccountSecurityView): SafeHtml {
  return html`<section aria-labelledby="phone-title">
<h2 id="phone-title">${t('account.phone.title')}</h2>
<p class="hint">${view.phone ? t('account.phone.current', { phone: view.phone }) : t('account.phone.none')}</p>
<div class="actions">
<a class="button secondary" href="/account/phone">${view.phone ? t('account.phone.change') : t('account.phone.add')}</a>
${view.phone ? postButton('/account/phone/remove', view.csrf, t('account.phone.remove')) : ''}
</div>
</section>`;
}

function mfaSection({ t }: PageContext, view: AccountSecurityView): SafeHtml {
  return html`<section aria-labelledby="mfa-title">
<h2 id="mfa-title">${t('account.mfa.title')}</h2>
<p class="hint">${view.factors.totp ? t('account.mfa.on', { count: view.factors.recoveryCodesLeft }) : t('account.mfa.off')}</p>
${
  view.factors.totp
    ? html`<div class="actions">${postButton('/account/security/recovery-codes', view.csrf, t('account.mfa.new_codes'))}${postButton('/account/security/totp/disable', view.csrf, t('account.mfa.disable'))}</div>`
    : html`<p><a class="button primary" href="/account/security/totp">${t('account.mfa.enable')}</a></p>`
}
</section>`;
}

function passkeysSection(page: PageContext, view: AccountSecurityView): SafeHtml {
  const { t } = page;
  const passkeys = view.passkeys.map(
    (passkey) => html`<li class="item" data-passkey-id="${passkey.id}">
<div><strong>${passkey.label}</strong><p class="hint">${t('account.passkeys.added', { time: when(page, passkey.createdAt) })}</p></div>
${postButton(`/account/security/passkeys/${passkey.id}/remove`, view.csrf, t('account.passkeys.remove'))}
</li>`,
  );
  return html`<section aria-labelledby="passkeys-title">
<h2 id="passkeys-title">${t('account.passkeys.title')}</h2>
<p class="hint">${t('account.passkeys.lead')}</p>
${view.passkeys.length ? html`<ul class="items">${passkeys}</ul>` : html`<p class="hint">${t('account.passkeys.none')}</p>`}
${
  view.canAddPasskey
    ? passkeyButton({ mode: 'register', action: '/account/security/passkeys', optionsUrl: '/account/security/passkeys/options', csrf: view.csrf, label: t('account.passkeys.add'), failure: t('account.passkeys.failed') })
    : html`<p><a class="button secondary" href="/account/login?fresh=1&amp;return=/account/security">${t('account.passkeys.add')}</a></p>`
}
<p class="hint" data-passkey-unsupported hidden>${t('account.passkeys.unsupported')}</p>
</section>`;
}
