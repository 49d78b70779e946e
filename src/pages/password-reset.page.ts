import { html } from '../markup/html.ts';
import { alert, csrfInput, field, layout, type PageContext } from './layout.ts';

export function forgotPasswordPage(page: PageContext, view: { uid: string; csrf: string; email?: string; error?: string }): string {
  const { t } = page;
  return layout(
    page,
    t('forgot.title'),
    html`<h1>${t('forgot.title')}</h1>
<p class="lead">${t('forgot.lead')}</p>
${alert(view.error)}
<form method="post" action="/login/${view.uid}/forgot" novalidate>
${csrfInput(view.csrf)}
${field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'username', value: view.email, maxLength: 254, autofocus: true })}
<button type="submit" class="primary">${t('forgot.submit')}</button>
</form>
<p class="switch"><a href="/login/${view.uid}">${t('signup.sign_in')}</a></p>`,
  );
}

export function newPasswordPage(page: PageContext, view: { uid: string; csrf: string; passwordMinLength: number; error?: string }): string {
  const { t } = page;
  return layout(
    page,
    t('reset.title'),
    html`<h1>${t('reset.title')}</h1>
<p class="lead">${t('reset.lead')}</p>
${alert(view.error)}
<form method="post" action="/login/${view.uid}/reset" novalidate>
${csrfInput(view.csrf)}
${field({
  name: 'password',
  label: t('field.new_password'),
  type: 'password',
  autocomplete: 'new-password',
  minLength: view.passwordMinLength,
  hint: t('signup.password_hint', { min: view.passwordMinLength }),
  autofocus: true,
})}
<button type="submit" class="primary">${t('reset.submit')}</button>
</form>`,
  );
}
