import type { KoaContextWithOIDC } from 'oidc-provider';
import { logoutPage, messagePage } from '../pages/message.page.ts';
import { pickLocale, translator } from '../pages/locale.ts';
import type { PageContext } from '../pages/layout.ts';

/** Pages oidc-provider renders itself (errors, logout), drawn with our layout and language. */
function pageContext(ctx: KoaContextWithOIDC): PageContext {
  const uiLocales = ctx.oidc?.params?.ui_locales;
  const locale = pickLocale(typeof uiLocales === 'string' ? uiLocales : undefined, ctx.get('accept-language'));
  return { locale, t: translator(locale) };
}

export async function renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<void> {
  const page = pageContext(ctx);
  const expired = out.error === 'invalid_request' && /interaction|session/i.test(out.error_description ?? '');
  ctx.type = 'html';
  ctx.body = messagePage(
    page,
    page.t('error.page.title'),
    expired ? page.t('error.page.expired') : out.error_description ?? page.t('error.page.lead'),
    out.error,
  );
}

export async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  ctx.type = 'html';
  ctx.body = logoutPage(pageContext(ctx), ctx.host, form);
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  const page = pageContext(ctx);
  ctx.type = 'html';
  ctx.body = messagePage(page, page.t('logout.done.title'), page.t('logout.done.lead'));
}
