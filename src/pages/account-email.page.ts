import { html } from '../markup/html.ts';
import { alert, csrfInput, field, layout, type PageContext } from './layout.ts';

/** /account/email: the new address a code goes to (the account moves only when the code is entered). */
export function accountEmailPage(page: PageContext, view: { csrf: string; current: string; email?: string | undefined; error?: string | undefined }): string {
  const { t } = page;
  return layout(
    page,
    t('account.email.title'),
    html`<h1>${t('account.email.title')}</h1>
<p class="lead">${t('account.email.lead', { email: view.current })}</p>
${alert(view.error)}
<form method="post" action="/account/email" novalidate>
${csrfInput(view.csrf)}
${field({ name: 'email', label: t('account.email.new'), type: 'email', autocomplete: 'email', value: view.email, maxLength: 254, autofocus: true })}
<button type="submit" class="primary">${t('account.email.submit')}</button>
</form>
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
