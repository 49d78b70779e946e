import { text } from './text.ts';

/**
 * A brand (retail chain) of the group, by key: a client belongs to at most one, and a consent
 * purpose is either group-wide or one brand's. Brands themselves (theme, sender) come with issue 8;
 * the key is what ties clients and purposes to one until then, and after.
 */
export const BRAND_KEY_PATTERN = /^[a-z][a-z0-9_-]{1,63}$/;

export const brandKey = text().regex(BRAND_KEY_PATTERN, 'must be lowercase letters, digits, _ and - such as hemma_el');
