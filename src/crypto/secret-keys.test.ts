import { describe, expect, it } from 'vitest';
import { deriveKey } from './derived-keys.ts';
import { open, seal } from './sealed-box.ts';
import { HASH_PURPOSES, SecretKeys } from './secret-keys.ts';

const OLD = 'old-secret-long-enough-0123456789abcdefgh';
const NEW = 'new-secret-long-enough-0123456789abcdefgh';

describe('SecretKeys during a change of PORTVAKT_SECRET', () => {
  it('seals with the current secret and opens with the previous ones too', () => {
    const during = new SecretKeys(NEW, [OLD]);
    const sealedBefore = seal(new SecretKeys(OLD).sealing('webhook-secret'), 'whsec', 'webhook:1');
    expect(open(during.sealing('webhook-secret'), sealedBefore, 'webhook:1')).toBe('whsec');
    const sealedDuring = seal(during.sealing('webhook-secret'), 'whsec', 'webhook:1');
    expect(open(deriveKey(NEW, 'webhook-secret'), sealedDuring, 'webhook:1')).toBe('whsec');
    expect(() => open(deriveKey(OLD, 'webhook-secret'), sealedDuring, 'webhook:1')).toThrow(/PORTVAKT_SECRET/);
    expect(() => open(new SecretKeys(NEW).sealing('webhook-secret'), sealedBefore, 'webhook:1')).toThrow(/PORTVAKT_SECRET/);
  });

  it('signs cookies with the current secret first, verifies with every one', () => {
    expect(new SecretKeys(NEW, [OLD]).cookieKeys()).toEqual([deriveKey(NEW, 'cookie-signing').toString('base64url'), deriveKey(OLD, 'cookie-signing').toString('base64url')]);
  });

  it('keeps hash keys derived from the oldest secret given, or those stored by a rotation', () => {
    for (const purpose of HASH_PURPOSES) {
      expect(new SecretKeys(OLD).hashing(purpose)).toEqual(deriveKey(OLD, purpose));
      expect(new SecretKeys(NEW, [OLD]).hashing(purpose)).toEqual(deriveKey(OLD, purpose));
    }
    const stored = new Map(HASH_PURPOSES.map((purpose) => [purpose, deriveKey(OLD, purpose)]));
    expect(new SecretKeys(NEW).withHashKeys(stored).hashing('recovery-code')).toEqual(deriveKey(OLD, 'recovery-code'));
    expect(new SecretKeys(NEW).hashing('recovery-code')).toEqual(deriveKey(NEW, 'recovery-code'));
  });
});
