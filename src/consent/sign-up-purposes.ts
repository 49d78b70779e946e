import type { Locale } from '../pages/locale.ts';
import type { ShownPurpose } from '../pages/sign-up.page.ts';
import type { ConsentPurposes } from './consent-purposes.ts';

/** The purposes the sign-up form shows, in the page's language (group-wide purposes until brands land). */
export async function signUpPurposes(purposes: ConsentPurposes, locale: Locale): Promise<ShownPurpose[]> {
  return (await purposes.list())
    .filter((purpose) => purpose.brand === null)
    .map((purpose) => {
      const texts = purpose.texts[locale];
      return { key: purpose.key, version: purpose.version, required: purpose.required, title: texts.title, description: texts.description, legalText: texts.legal_text };
    });
}

/**
 * Every purpose shown is a decision: ticked (or "accept all") is granted, the rest declined;
 * required purposes are granted by signing up.
 */
export function signUpDecisions(
  shown: string[],
  ticked: string[],
  all: 'accept' | 'reject' | undefined,
  required: Set<string>,
): Array<{ purpose: string; version: number; granted: boolean }> {
  return shown.map((entry) => {
    const [purpose = '', version = '0'] = entry.split(':');
    const granted = required.has(purpose) || all === 'accept' || (all !== 'reject' && ticked.includes(purpose));
    return { purpose, version: Number(version), granted };
  });
}
