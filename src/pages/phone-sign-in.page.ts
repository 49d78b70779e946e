import { html } from '../markup/html.ts';
import { alert, csrfInput, layout, type PageContext } from './layout.ts';

/** Step one of an SMS sign-in: the phone number (a tel field, so phones show the dial pad). */
export function phoneSignInPage(page: PageContext, view: { uid: string; csrf: string; phone?: string; error?: string }): string {
  const { t } = page;
  return phonePage(page, { title: t('sms.title'), lead: t('sms.lead'), action: `/login/${view.uid}/sms`, backHref: `/login/${view.uid}`, backLabel: t('signup.sign_in'), ...view });
}

/** The account page's "add or change your mobile number". */
export function phoneFormPage(page: PageContext, view: { action: string; csrf: string; backHref: string; phone?: string | undefined; error?: string | undefined }): string {
  const { t } = page;
  return phonePage(page, { title: t('account.phone.title'), lead: t('account.phone.lead'), backLabel: t('account.back'), ...view });
}

function phonePage(
  page: PageContext,
  view: { title: string; lead: string; action: string; csrf: string; backHref: string; backLabel: string; phone?: string | undefined; error?: string | undefined },
): string {
  const { t } = page;
  return layout(
    page,
    view.title,
    html`<h1>${view.title}</h1>
<p class="lead">${view.lead}</p>
${alert(view.error)}
<form method="post" action="${view.action}" novalidate>
${csrfInput(view.csrf)}
<label for="field-phone">${t('sms.field')}</label>
<input id="field-phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" maxlength="20" required autofocus aria-describedby="field-phone-hint"${view.phone ? html` value="${view.phone}"` : ''}>
<p class="hint" id="field-phone-hint">${t('sms.hint')}</p>
<button type="submit" class="primary">${t('sms.submit')}</button>
</form>
<p class="switch"><a href="${view.backHref}">${view.backLabel}</a></p>`,
  );
}
