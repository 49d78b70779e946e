import { en, type MessageKey, type Messages } from './en.ts';
import { sv } from './sv.ts';

export const LOCALES = ['sv', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
const DEFAULT_LOCALE: Locale = 'en';
const catalogs: Record<Locale, Messages> = { sv, en };

function supported(tag: string): Locale | undefined {
  const language = tag.trim().toLowerCase().split('-')[0];
  return LOCALES.find((locale) => locale === language);
}

/** `ui_locales` (space-separated, in order of preference) wins over Accept-Language (q-weighted). */
export function pickLocale(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  for (const tag of (uiLocales ?? '').split(' ')) {
    const locale = supported(tag);
    if (locale) return locale;
  }
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag, q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const locale = supported(tag);
    if (locale) return locale;
  }
  return DEFAULT_LOCALE;
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const messages = catalogs[locale];
  return (key, params) => (messages[key] ?? key).replace(/\{(\w+)\}/g, (match, name: string) => String(params?.[name] ?? match));
}
