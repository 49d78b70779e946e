import { consoleEn, type ConsoleKey, type ConsoleMessages } from './console-en.ts';
import { consoleSv } from './console-sv.ts';
import type { Locale } from './locale.ts';

const catalogs: Record<Locale, ConsoleMessages> = { sv: consoleSv, en: consoleEn };

export type ConsoleTranslate = (key: ConsoleKey, params?: Record<string, string | number>) => string;

/** The console's texts in one language (the console's own catalog, beside the hosted pages'). */
export function consoleTranslator(locale: Locale): ConsoleTranslate {
  const messages = catalogs[locale];
  return (key, params) => (messages[key] ?? key).replace(/\{(\w+)\}/g, (match, name: string) => String(params?.[name] ?? match));
}
