import { html } from './html.ts';
import { alert, csrfInput, field, layout, type PageContext } from './layout.ts';

export interface SignUpPage {
  uid: string;
  clientName: string;
  csrf: string;
  passwordMinLength: number;
  values?: { email?: string; given_name?: string; family_name?: string };
  error?: string;
}

export function signUpPage(page: PageContext, view: SignUpPage): string {
  const { t } = page;
  const values = view.values ?? {};
  return layout(
    page,
    t('signup.title'),
    html`<h1>${t('signup.title')}</h1>
<p class="lead">${t('signup.lead', { client: view.clientName })}</p>
${alert(view.error)}
<form method="post" action="/login/${view.uid}/email-code" novalidate>
<input type="hidden" name="intent" value="sign_up">
${csrfInput(view.csrf)}
${field({ name: 'email', label: t('field.email'), type: 'email', autocomplete: 'email', value: values.email, maxLength: 254, autofocus: true })}
${field({
  name: 'password',
  label: t('field.new_password'),
  type: 'password',
  autocomplete: 'new-password',
  required: false,
  minLength: view.passwordMinLength,
  hint: t('signup.password_optional_hint', { min: view.passwordMinLength }),
})}
<div class="row">
<div>${field({ name: 'given_name', label: t('field.given_name'), type: 'text', autocomplete: 'given-name', value: values.given_name, required: false, maxLength: 100 })}</div>
<div>${field({ name: 'family_name', label: t('field.family_name'), type: 'text', autocomplete: 'family-name', value: values.family_name, required: false, maxLength: 100 })}</div>
</div>
<button type="submit" class="primary">${t('signup.continue')}</button>
</form>
<p class="switch">${t('signup.have_account')} <a href="/login/${view.uid}">${t('signup.sign_in')}</a></p>`,
  );
}
