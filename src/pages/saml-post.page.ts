import { html } from '../markup/html.ts';
import { layout, type PageContext } from './layout.ts';

/**
 * The SAML response on its way to the service provider (HTTP-POST binding): a form the page's
 * script submits at once (`data-autosubmit`), with a button for a browser without scripts.
 */
export function samlPostPage(page: PageContext, post: { acs: string; samlResponse: string; relayState: string | null; serviceName: string }): string {
  const { t } = page;
  return layout(
    page,
    t('saml.post.title'),
    html`<h1>${t('saml.post.title')}</h1>
<p class="lead">${t('saml.post.lead', { service: post.serviceName })}</p>
<form method="post" action="${post.acs}" data-autosubmit>
<input type="hidden" name="SAMLResponse" value="${post.samlResponse}">
${post.relayState === null ? '' : html`<input type="hidden" name="RelayState" value="${post.relayState}">`}
<div class="actions"><button type="submit" class="primary">${t('saml.post.continue')}</button></div>
</form>`,
  );
}
