import { describe, expect, it } from 'vitest';
import { generateRecoveryCodes, hashRecoveryCode, recoveryCodeMatches } from './recovery-codes.ts';
const KEY = Buffer.alloc(32, 7);

describe('recovery codes', () => {
  it('generates ten unique xxxxx-xxxxx codes from the unambiguous alphabet', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    expect(generateRecoveryCodes(3)).toHaveLength(3);
    expect(() => generateRecoveryCodes(0)).toThrow(RangeError);
  });

  it('hashes as hmac:base64url and matches normalised input', () => {
    const [code] = generateRecoveryCodes(1);
    if (code === undefined) throw new Error('no code');
    const hash = hashRecoveryCode(KEY, code);
    expect(hash).toMatch(/^hmac:[A-Za-z0-9_-]{43}$/);
    expect(hashRecoveryCode(KEY, code.replace('-', ''))).toBe(hash);
    expect(recoveryCodeMatches(KEY, code, hash)).toBe(true);
    expect(recoveryCodeMatches(KEY, code.toUpperCase(), hash)).toBe(true);
    expect(recoveryCodeMatches(KEY, code.replace('-', ''), hash)).toBe(true);
    expect(recoveryCodeMatches(KEY, ` ${code.slice(0, 5)} ${code.slice(6)} `, hash)).toBe(true);
  });

  it('reads Crockford look-alikes i, l and o as 1 and 0', () => {
    const hash = hashRecoveryCode(KEY, '10a01-b1c10');
    expect(recoveryCodeMatches(KEY, 'IOA0L-B1CLO', hash)).toBe(true);
  });

  it('refuses other codes and malformed hashes', () => {
    const [a, b] = generateRecoveryCodes(2);
    if (a === undefined || b === undefined) throw new Error('no codes');
    const hash = hashRecoveryCode(KEY, a);
    expect(recoveryCodeMatches(KEY, b, hash)).toBe(false);
    expect(recoveryCodeMatches(KEY, `${a}x`, hash)).toBe(false);
    expect(recoveryCodeMatches(KEY, '', hash)).toBe(false);
    expect(recoveryCodeMatches(KEY, a, '')).toBe(false);
    expect(recoveryCodeMatches(KEY, a, 'hmac:short')).toBe(false);
  });
});
