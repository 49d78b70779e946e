import { alert, field, layout, type PageContext } from './layout.ts';
import { html } from '../markup/html.ts';

export interface DeviceForm {
  action: string;
  /** oidc-provider's anti-forgery token for the device pages. */
  xsrf: string;
}

/** `/device`: a TV or kiosk shows a code; the customer types it here, on their phone or computer. */
export function deviceCodePage(page: PageContext, form: DeviceForm, error?: string, typed?: string): string {
  const { t } = page;
  return layout(
    page,
    t('device.title'),
    html`<h1>${t('device.title')}</h1>
<p class="lead">${t('device.lead')}</p>
${alert(error)}
<form method="post" action="${form.action}" novalidate>
<input type="hidden" name="xsrf" value="${form.xsrf}">
${field({ name: 'user_code', label: t('device.code'), type: 'text', autocomplete: 'one-time-code', maxLength: 20, autofocus: true, value: typed?.slice(0, 20) })}
<button type="submit" class="primary">${t('signup.continue')}</button>
</form>`,
  );
}

/** Before signing in: the code the device shows, so a customer tricked into typing someone else's code can stop. */
export function deviceConfirmPage(page: PageContext, form: DeviceForm, clientName: string, userCode: string): string {
  const { t } = page;
  return layout(
    page,
    t('device.confirm.title'),
    html`<h1>${t('device.confirm.title')}</h1>
<p class="lead">${t('device.confirm.lead', { client: clientName })}</p>
<p class="device-code"><code>${userCode}</code></p>
<p class="hint">${t('device.confirm.warning')}</p>
<form method="post" action="${form.action}" class="actions">
<input type="hidden" name="xsrf" value="${form.xsrf}">
<input type="hidden" name="user_code" value="${userCode}">
<button type="submit" name="confirm" value="yes" class="primary">${t('device.confirm.yes')}</button>
<button type="submit" name="abort" value="yes" class="secondary">${t('device.confirm.abort')}</button>
</form>`,
  );
}
