import { html, trusted } from '../../markup/html.ts';
import { csrfInput, passkeyButton } from '../layout.ts';
import { consoleField, consoleLayout, formMessage, type ConsolePage, type FieldErrors } from './console-layout.ts';

export interface SignInView {
  csrf: string;
  /** Where to go after signing in (already checked to be a console path). */
  back: string;
  email?: string;
  notice?: string;
  errors?: FieldErrors;
  /** The workforce provider's name, when operators may sign in there. */
  workforce?: string;
}

const query = (back: string) => `?return=${encodeURIComponent(back)}`;

/** E-mail and password (then a code), or a passkey alone. */
export function signInPage(page: ConsolePage, view: SignInView): string {
  const { t } = page;
  return consoleLayout(page, t('signin.title'), html`<div class="console-narrow">
<p class="lead">${t('signin.lead')}</p>
${formMessage(view.errors, view.notice)}
${view.workforce ? html`<p><a class="button primary" href="/console/sign-in/workforce${query(view.back)}">${t('signin.workforce', { name: view.workforce })}</a></p>` : ''}
${passkeyButton({ mode: 'sign-in', action: `/console/sign-in/passkey${query(view.back)}`, optionsUrl: '/console/sign-in/passkey-options', csrf: view.csrf, label: t('signin.passkey'), failure: t('signin.passkey_failed'), primary: !view.workforce })}
<form method="post" action="/console/sign-in${query(view.back)}" novalidate>
${csrfInput(view.csrf)}
${consoleField({ name: 'email', label: t('signin.email'), type: 'email', autocomplete: 'username webauthn', value: view.email ?? '', error: view.errors?.email })}
${consoleField({ name: 'password', label: t('signin.password'), type: 'password', autocomplete: 'current-password', error: view.errors?.password })}
<button type="submit" class="primary">${t('signin.submit')}</button>
</form>
</div>`);
}

/** The second step after a password: the authenticator app's code. */
export function codePage(page: ConsolePage, view: SignInView): string {
  const { t } = page;
  return consoleLayout(page, t('signin.code_title'), html`<div class="console-narrow">
<p class="lead">${t('signin.code_lead')}</p>
${formMessage(view.errors)}
<form method="post" action="/console/sign-in/code${query(view.back)}" novalidate>
${csrfInput(view.csrf)}
${consoleField({ name: 'code', label: t('signin.code'), autocomplete: 'one-time-code', inputMode: 'numeric', error: view.errors?.code })}
<button type="submit" class="primary">${t('signin.code_submit')}</button>
</form>
</div>`);
}

export interface InvitationView {
  token: string;
  csrf: string;
  name: string;
  roles: string;
  ticket: string;
  secret: string;
  qrSvg: string;
  passwordMinLength: number;
  errors?: FieldErrors;
}

/** Taking an invitation: a passkey, or a password with an authenticator app. */
export function invitationPage(page: ConsolePage, view: InvitationView): string {
  const { t } = page;
  const base = `/console/invitation/${view.token}`;
  return consoleLayout(page, t('invite.title', { name: view.name }), html`<div class="console-narrow">
<p class="lead">${t('invite.lead', { roles: view.roles })}</p>
${formMessage(view.errors)}
<section aria-labelledby="passkey-heading"><h2 id="passkey-heading">${t('invite.passkey_title')}</h2>
<p class="hint">${t('invite.passkey_lead')}</p>
${passkeyButton({ mode: 'register', action: `${base}/passkey`, optionsUrl: `${base}/passkey-options`, csrf: view.csrf, label: t('invite.passkey_button'), failure: t('invite.passkey_failed'), primary: true })}
</section>
<section aria-labelledby="totp-heading"><h2 id="totp-heading">${t('invite.totp_title')}</h2>
<p class="hint">${t('invite.totp_lead')}</p>
<div class="qr">${trusted(view.qrSvg)}</div>
<p class="secret">${t('invite.secret')}: <code>${view.secret}</code></p>
<form method="post" action="${base}/totp" novalidate>
${csrfInput(view.csrf)}
<input type="hidden" name="ticket" value="${view.ticket}">
${consoleField({ name: 'password', label: t('invite.password'), type: 'password', autocomplete: 'new-password', hint: t('invite.password_hint', { min: view.passwordMinLength }), error: view.errors?.password })}
${consoleField({ name: 'code', label: t('invite.code'), autocomplete: 'one-time-code', inputMode: 'numeric', error: view.errors?.code })}
<button type="submit" class="secondary">${t('invite.submit')}</button>
</form>
</section>
</div>`);
}
