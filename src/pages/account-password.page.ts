import { html } from '../markup/html.ts';
import { alert, csrfInput, field, layout, type PageContext } from './layout.ts';

export interface AccountPasswordView {
  csrf: string;
  /** The sign-in is not recent: the current password is asked (or the customer signs in again). */
  askCurrent: boolean;
  passwordMinLength: number;
  error?: string | undefined;
}

/** /account/password: a new password, proven by the current one or a recent sign-in; other devices are signed out. */
export function accountPasswordPage(page: PageContext, view: AccountPasswordView): string {
  const { t } = page;
  return layout(
    page,
    t('account.password.title'),
    html`<h1>${t('account.password.title')}</h1>
<p class="lead">${t('account.password.lead')}</p>
${alert(view.error)}
<form method="post" action="/account/password" novalidate>
${csrfInput(view.csrf)}
${view.askCurrent ? field({ name: 'current_password', label: t('account.password.current'), type: 'password', autocomplete: 'current-password', autofocus: true }) : ''}
${field({ name: 'password', label: t('field.new_password'), type: 'password', autocomplete: 'new-password', minLength: view.passwordMinLength, hint: t('signup.password_hint', { min: view.passwordMinLength }), autofocus: !view.askCurrent })}
<button type="submit" class="primary">${t('account.password.submit')}</button>
</form>
${view.askCurrent ? html`<p class="hint"><a href="/account/login?fresh=1&amp;return=/account/password">${t('account.password.forgot_current')}</a></p>` : ''}
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
