import { html } from '../markup/html.ts';
import { layout, type PageContext } from './layout.ts';

export interface MemberCodeView {
  /** The brands the customer may show a code at (key '' is the group's own stores), the chosen one first marked. */
  brands: Array<{ key: string; name: string }>;
  brand: string;
  code: { qr: string; display: string; expiresIn: number; refreshIn: number };
}

/**
 * /account/member: the member code to show at a till, as a QR code and as 12 digits for a hand
 * scanner. A new one every 30 s (member-code.js); each is good for two minutes, once, at the
 * chosen brand's stores, and says nothing about the customer to whoever photographs it.
 */
export function accountMemberPage(page: PageContext, view: MemberCodeView): string {
  const { t } = page;
  const chosen = view.brands.find((brand) => brand.key === view.brand);
  const codeUrl = `/account/member/code?brand=${encodeURIComponent(view.brand)}`;
  return layout(
    page,
    t('member.title'),
    html`<h1>${t('member.title')}</h1>
<p class="lead">${t('member.lead')}</p>
${
  view.brands.length > 1
    ? html`<nav aria-label="${t('member.brands')}"><ul class="member-brands">${view.brands.map((brand) =>
        brand.key === view.brand ? html`<li><strong aria-current="page">${brand.name}</strong></li>` : html`<li><a href="/account/member?brand=${encodeURIComponent(brand.key)}">${brand.name}</a></li>`,
      )}</ul></nav>`
    : ''
}
<section class="member-code" data-member-code="${codeUrl}" data-expires-at="${String(Date.now() + view.code.expiresIn * 1000)}" data-refresh-in="${String(view.code.refreshIn)}" data-fresh-text="${t('member.fresh')}" data-offline-text="${t('member.offline')}" data-expired-text="${t('member.expired')}">
<h2>${chosen?.name ?? ''}</h2>
<img src="${view.code.qr}" alt="${t('member.qr_alt')}" width="240" height="240">
<p class="member-digits" aria-label="${t('member.digits')}">${view.code.display}</p>
<p class="member-status hint" role="status">${t('member.fresh')}</p>
</section>
<p class="hint">${t('member.how')}</p>
<script src="/assets/member-code.js" defer></script>
<p class="switch"><a href="/account/security">${t('account.back')}</a></p>`,
  );
}
