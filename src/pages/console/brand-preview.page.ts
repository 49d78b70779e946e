import { translator } from '../../i18n/locale.ts';
import { signInPage } from '../sign-in.page.ts';
import type { BrandRow } from './brands.page.ts';
import type { ConsolePage } from './console-layout.ts';

/**
 * The hosted sign-in page exactly as a client of this brand shows it — the same template, the
 * brand's stylesheet and logo from `/assets/brands/…` — as a page of its own (the CSP forbids
 * framing, `frame-ancestors 'none'`, and no inline style could recolour a part of a console page).
 * It belongs to no sign-in: a notice on it says so, and its forms lead nowhere but an expired page.
 */
export function brandPreviewPage(page: ConsolePage, brand: BrandRow): string {
  const hosted = { locale: page.locale, t: translator(page.locale), brand: { key: brand.key, name: brand.name, version: brand.version, hasLogo: brand.has_logo, sender: brand.sender } };
  return signInPage(hosted, { uid: 'preview', clientName: brand.name, csrf: '', notice: page.t('admin.brands.preview_notice', { name: brand.name }) });
}
