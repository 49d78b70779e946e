import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Single-use recovery codes for a lost second factor. Each code is 10 characters of Crockford's
 * base32 alphabet in lowercase (no i, l, o, u), i.e. 50 bits, shown as `xxxxx-xxxxx`. That is enough
 * because codes are throttled like passwords and consumed on use. Stored as HMAC-SHA256 under a key
 * derived from PORTVAKT_SECRET: a copied table alone does not allow an offline search of 2^50
 * (which a plain hash would), and the digest doubles as the lookup key for atomic consumption.
 */

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // 32 symbols: a byte & 31 is unbiased
const CODE_LENGTH = 10;
const GROUP = 5;

export function generateRecoveryCodes(count = 10): string[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > 100) throw new RangeError('count must be an integer from 1 to 100');
  const codes = new Set<string>();
  while (codes.size < count) {
    const bytes = randomBytes(CODE_LENGTH);
    let raw = '';
    for (const byte of bytes) raw += ALPHABET[byte & 31];
    codes.add(`${raw.slice(0, GROUP)}-${raw.slice(GROUP)}`);
  }
  return [...codes];
}

/**
 * Lowercase, drop whitespace and dashes, and read the letters Crockford's base32 treats as look-alikes
 * (i and l as 1, o as 0), which never occur in a generated code.
 */
export function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
}

export function hashRecoveryCode(key: Buffer, code: string): string {
  return `hmac:${createHmac('sha256', key).update(normaliseRecoveryCode(code)).digest('base64url')}`;
}

export function recoveryCodeMatches(key: Buffer, code: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash);
  const actual = Buffer.from(hashRecoveryCode(key, code));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
