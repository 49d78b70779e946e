import type { MessageKey } from '../i18n/en.ts';
import type { PageContext } from './layout.ts';

/**
 * A data-map category in plain words in the page's language (`contact` → "how to reach you"), or,
 * for a category a system names that has no text (a free key such as `warranty_claims`), its key
 * in words ("warranty claims").
 */
export function categoryWords(page: PageContext, category: string): string {
  const key = `category.${category}` as MessageKey;
  const text = page.t(key);
  return text === key ? category.replaceAll('_', ' ') : text;
}
