import type { KoaContextWithOIDC } from 'oidc-provider';
import { deviceCodePage, deviceConfirmPage } from './device.page.ts';
import { logoutPage, messagePage } from './message.page.ts';
import { pickLocale, translator } from '../i18n/locale.ts';
import type { MessageKey } from '../i18n/en.ts';
import type { PageContext } from './layout.ts';
import type { ProviderPages } from '../oidc/provider.ts';

/** Pages oidc-provider renders itself (errors, logout, the device flow), drawn with our layout and language. */
function pageContext(ctx: KoaContextWithOIDC): PageContext {
  const uiLocales = ctx.oidc?.params?.ui_locales;
  const locale = pickLocale(typeof uiLocales === 'string' ? uiLocales : undefined, ctx.get('accept-language'));
  return { locale, t: translator(locale) };
}

/** OAuth and OpenID Connect error codes the person is told of in their language; any other gets the general text. */
const EXPLAINED = new Set(['invalid_request', 'invalid_client', 'invalid_redirect_uri', 'unauthorized_client', 'access_denied', 'unsupported_response_type', 'invalid_scope', 'server_error', 'temporarily_unavailable', 'login_required', 'consent_required', 'invalid_target', 'request_not_supported', 'invalid_request_object', 'invalid_request_uri']);

/**
 * oidc-provider's error page, in the person's language: what went wrong in words for the error's
 * code, never oidc-provider's English `error_description` as the message. The description stays
 * for the app's developer, folded away and marked as English, with the code.
 */
export async function renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<void> {
  const page = pageContext(ctx);
  const expired = out.error === 'invalid_request' && /interaction|session/i.test(out.error_description ?? '');
  const lead = expired ? page.t('error.page.expired') : EXPLAINED.has(out.error) ? page.t(`error.oauth.${out.error}` as MessageKey) : page.t('error.page.lead');
  ctx.type = 'html';
  ctx.body = messagePage(page, page.t('error.page.title'), lead, undefined, undefined, { label: page.t('error.page.developer'), code: out.error, description: out.error_description });
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

/** oidc-provider's re-render errors on the code entry page (lib/helpers/re_render_errors.js). */
const DEVICE_INPUT_ERRORS = new Set(['NoCodeError', 'NotFoundError', 'ExpiredError', 'AlreadyUsedError', 'AbortedError']);

/** The device flow's pages (RFC 8628): our own forms, posting oidc-provider's fields to its endpoint. */
function deviceForm(ctx: KoaContextWithOIDC) {
  return { action: ctx.oidc.urlFor('code_verification'), xsrf: String((ctx.oidc.session?.state as { secret?: string } | undefined)?.secret ?? '') };
}

export async function userCodeInputSource(ctx: KoaContextWithOIDC, _form: string, _out?: unknown, error?: Error & { userCode?: string }): Promise<void> {
  const page = pageContext(ctx);
  const message = !error ? undefined : error.userCode !== undefined || error.name === 'NoCodeError' ? page.t('device.error.code') : error.name === 'AbortedError' ? page.t('device.error.aborted') : page.t('device.error.other');
  ctx.type = 'html';
  // A wrong, spent or expired code is the customer's mistake (400); anything else keeps the status oidc-provider gave it.
  if (error && DEVICE_INPUT_ERRORS.has(error.name)) ctx.status = error.name === 'AbortedError' ? 200 : 400;
  ctx.body = deviceCodePage(page, deviceForm(ctx), message, error?.userCode);
}

export async function userCodeConfirmSource(ctx: KoaContextWithOIDC, _form: string, client: { clientName?: string; clientId: string }, _deviceInfo: unknown, userCode: string): Promise<void> {
  ctx.type = 'html';
  ctx.body = deviceConfirmPage(pageContext(ctx), deviceForm(ctx), client.clientName ?? client.clientId, userCode);
}

export async function deviceSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  const page = pageContext(ctx);
  const client = ctx.oidc.client;
  ctx.type = 'html';
  ctx.body = messagePage(page, page.t('device.done.title'), page.t('device.done.lead', { client: client?.clientName ?? client?.clientId ?? '' }));
}

/** Every page oidc-provider draws, handed to `createProvider`. */
export const providerPages: ProviderPages = { renderError, logoutSource, postLogoutSuccessSource, userCodeInputSource, userCodeConfirmSource, deviceSuccessSource };
