import type { Locale } from '../i18n/locale.ts';
import { appliesTo } from './consent-ledger.ts';
import type { ConsentPurposes, PurposeVersion } from './consent-purposes.ts';

/** A purpose as a page shows it, in the page's language. */
export interface ShownPurpose {
  key: string;
  version: number;
  required: boolean;
  title: string;
  description: string;
  legalText: string;
}

/** Purposes as a page shows them, in its language. */
export function showPurposes(purposes: PurposeVersion[], locale: Locale): ShownPurpose[] {
  return purposes.map((purpose) => {
    const texts = purpose.texts[locale];
    return { key: purpose.key, version: purpose.version, required: purpose.required, title: texts.title, description: texts.description, legalText: texts.legal_text };
  });
}

/** The purposes the sign-up form of a client of `brand` shows: the group's and that brand's. */
export async function signUpPurposes(purposes: ConsentPurposes, locale: Locale, brand: string | null): Promise<ShownPurpose[]> {
  return showPurposes((await purposes.list()).filter((purpose) => appliesTo(purpose, brand)), locale);
}

/**
 * Every purpose shown is a decision: ticked (or "accept all") is granted, the rest declined;
 * required purposes are granted by going on. Only what was offered, at the version offered,
 * counts; anything else a form claims to have shown is ignored.
 */
export function signUpDecisions(
  offered: Array<Pick<ShownPurpose, 'key' | 'version' | 'required'>>,
  shown: string[],
  ticked: string[],
  all: 'accept' | 'reject' | undefined,
): Array<{ purpose: string; version: number; granted: boolean }> {
  const byEntry = new Map(offered.map((purpose) => [`${purpose.key}:${purpose.version}`, purpose]));
  return [...new Set(shown)].flatMap((entry) => {
    const purpose = byEntry.get(entry);
    if (!purpose) return [];
    const granted = purpose.required || all === 'accept' || (all !== 'reject' && ticked.includes(purpose.key));
    return [{ purpose: purpose.key, version: purpose.version, granted }];
  });
}
