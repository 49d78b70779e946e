import { html } from '../markup/html.ts';
import { csrfInput, layout, type PageContext } from './layout.ts';

/** "You are using your {group} account at {brand}": shown once per brand, in the brand's look. */
export function brandNoticePage(page: PageContext, view: { action: string; csrf: string; clientName: string }): string {
  const { t } = page;
  const brand = page.brand?.name ?? view.clientName;
  const group = t('brand.name');
  return layout(
    page,
    t('brand.notice.title', { brand }),
    html`<h1>${t('brand.notice.title', { brand })}</h1>
<p class="lead">${t('brand.notice.lead', { brand, group })}</p>
<p>${t('brand.notice.same', { brand, group })}</p>
<form method="post" action="${view.action}">
${csrfInput(view.csrf)}
<button type="submit" class="primary">${t('brand.notice.continue', { client: view.clientName })}</button>
</form>`,
  );
}
