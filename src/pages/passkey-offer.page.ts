import { html } from '../markup/html.ts';
import { csrfInput, layout, passkeyButton, type PageContext } from './layout.ts';

/**
 * After sign-up: save a passkey for next time, or go on. Without WebAuthn in the browser the
 * script submits "not now" by itself, so nobody meets a button that cannot work.
 */
export function passkeyOfferPage(page: PageContext, view: { uid: string; csrf: string }): string {
  const { t } = page;
  return layout(
    page,
    t('passkey.offer.title'),
    html`<h1>${t('passkey.offer.title')}</h1>
<p class="lead">${t('passkey.offer.lead')}</p>
${passkeyButton({ mode: 'register', action: `/login/${view.uid}/passkey/register`, optionsUrl: `/login/${view.uid}/passkey/register/options`, csrf: view.csrf, label: t('passkey.offer.add'), failure: t('account.passkeys.failed'), primary: true })}
<form method="post" action="/login/${view.uid}/passkey/skip" data-passkey-autoskip>
${csrfInput(view.csrf)}
<button type="submit" class="secondary">${t('passkey.offer.skip')}</button>
</form>`,
  );
}
