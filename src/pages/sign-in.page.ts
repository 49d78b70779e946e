import { html } from '../markup/html.ts';
import { alert, csrfInput, field, layout, passkeyButton, type PageContext } from './layout.ts';

export interface SignInPage {
  uid: string;
  clientName: string;
  csrf: string;
  email?: string;
  error?: string;
  /** Why this sign-in is asked (e.g. to connect an upstream identity). */
  notice?: string;
  /** Upstream identity providers offered as "Continue with …" buttons. */
  connections?: Array<{ key: string; name: string }>;
}

export function signInPage(page: PageContext, view: SignInPage): string {
  const { t } = page;
  return layout(
    page,
    t('signin.title'),
    html`<h1>${t('signin.title')}</h1>
<p class="lead">${t('signin.lead', { client: view.clientName })}</p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${alert(view.error)}
<form method="post" action="/login/${view.uid}/password" novalidate>
${csrfInput(view.csrf)}
${field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'username webauthn', value: view.email, maxLength: 254, autofocus: !view.email })}
${field({ name: 'password', label: t('field.password'), type: 'password', autocomplete: 'current-password', required: false, autofocus: !!view.email })}
<p class="forgot"><a href="/login/${view.uid}/forgot">${t('signin.forgot')}</a></p>
<button type="submit" class="primary">${t('signin.submit')}</button>
<p class="divider">${t('signin.or')}</p>
<button type="submit" class="secondary" formaction="/login/${view.uid}/email-code" name="intent" value="sign_in">${t('signin.email_code')}</button>
</form>
${passkeyButton({ mode: 'sign-in', action: `/login/${view.uid}/passkey`, optionsUrl: `/login/${view.uid}/passkey/options`, csrf: view.csrf, label: t('signin.passkey'), failure: t('error.passkey_refused') })}
${(view.connections ?? []).map(
  (connection) => html`<form method="post" action="/login/${view.uid}/upstream" class="upstream">
${csrfInput(view.csrf)}
<button type="submit" class="secondary" name="connection" value="${connection.key}">${t('signin.continue_with', { name: connection.name })}</button>
</form>`,
)}
<p class="switch"><a href="/login/${view.uid}/sms">${t('signin.sms_code')}</a></p>
<p class="switch">${t('signin.no_account')} <a href="/login/${view.uid}/signup">${t('signin.create_account')}</a></p>`,
  );
}
