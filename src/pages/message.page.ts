import { html, trusted } from '../markup/html.ts';
import { layout, type PageContext } from './layout.ts';

/** A page that only tells something: errors, "signed out"; `next`, the way on (so it is no dead end). */
export function messagePage(page: PageContext, title: string, lead: string, detail?: string, next?: { href: string; label: string }, developer?: { label: string; code: string; description?: string | undefined }): string {
  return layout(
    page,
    title,
    html`<h1>${title}</h1>
<p class="lead">${lead}</p>
${detail ? html`<p class="hint"><code>${detail}</code></p>` : ''}
${next ? html`<p><a class="button primary" href="${next.href}">${next.label}</a></p>` : ''}
${developer ? html`<details class="developer"><summary>${developer.label}</summary><p class="hint"><code>${developer.code}</code>${developer.description ? html` <span lang="en">${developer.description}</span>` : ''}</p></details>` : ''}`,
  );
}

/** RP-initiated logout confirmation around oidc-provider's own form (it carries its xsrf token). */
export function logoutPage(page: PageContext, host: string, providerForm: string): string {
  const { t } = page;
  return layout(
    page,
    t('logout.title'),
    html`<h1>${t('logout.title')}</h1>
<p class="lead">${t('logout.lead', { host })}</p>
${trusted(providerForm)}
<div class="actions">
<button type="submit" form="op.logoutForm" name="logout" value="yes" class="primary">${t('logout.yes')}</button>
<button type="submit" form="op.logoutForm" class="secondary">${t('logout.no')}</button>
</div>`,
  );
}
