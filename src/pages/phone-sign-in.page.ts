import { html } from './html.ts';
import { alert, csrfInput, layout, type PageContext } from './layout.ts';

/** Step one of an SMS sign-in: the phone number (a tel field, so phones show the dial pad). */
export function phoneSignInPage(page: PageContext, view: { uid: string; csrf: string; phone?: string; error?: string }): string {
  const { t } = page;
  return layout(
    page,
    t('sms.title'),
    html`<h1>${t('sms.title')}</h1>
<p class="lead">${t('sms.lead')}</p>
${alert(view.error)}
<form method="post" action="/login/${view.uid}/sms" novalidate>
${csrfInput(view.csrf)}
<label for="field-phone">${t('sms.field')}</label>
<input id="field-phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" maxlength="20" required autofocus aria-describedby="field-phone-hint"${view.phone ? html` value="${view.phone}"` : ''}>
<p class="hint" id="field-phone-hint">${t('sms.hint')}</p>
<button type="submit" class="primary">${t('sms.submit')}</button>
</form>
<p class="switch"><a href="/login/${view.uid}">${t('signup.sign_in')}</a></p>`,
  );
}
