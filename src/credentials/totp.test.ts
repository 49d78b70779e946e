import { describe, expect, it } from 'vitest';
import { currentTotp, generateTotpSecret, totpStep, totpUri, verifyTotp } from './totp.ts';

// RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (ASCII) in base32.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const T0 = 1_111_111_111_000; // an RFC 6238 test time (ms); 8-digit SHA-1 code 14050471

describe('TOTP (RFC 6238, SHA-1, 6 digits, 30 s)', () => {
  it('matches the RFC 6238 SHA-1 test vectors truncated to 6 digits', () => {
    expect(currentTotp(RFC_SECRET, 59_000)).toBe('287082'); // 94287082
    expect(currentTotp(RFC_SECRET, 1_111_111_109_000)).toBe('081804'); // 07081804
    expect(currentTotp(RFC_SECRET, T0)).toBe('050471'); // 14050471
    expect(currentTotp(RFC_SECRET, 1_234_567_890_000)).toBe('005924'); // 89005924
    expect(currentTotp(RFC_SECRET, 2_000_000_000_000)).toBe('279037'); // 69279037
    expect(currentTotp(RFC_SECRET, 20_000_000_000_000)).toBe('353130'); // 65353130
    const result = verifyTotp(RFC_SECRET, '287082', { now: 59_000 });
    expect(result).toEqual({ ok: true, step: 1 });
  });

  it('generates 160-bit base32 secrets that round-trip', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(generateTotpSecret()).not.toBe(secret);
    const now = Date.now();
    expect(verifyTotp(secret, currentTotp(secret, now), { now })).toEqual({ ok: true, step: totpStep(now) });
  });

  it('accepts one step of drift either way and refuses two', () => {
    const step = totpStep(T0);
    for (const offset of [-1, 0, 1]) {
      const code = currentTotp(RFC_SECRET, T0 + offset * 30_000);
      expect(verifyTotp(RFC_SECRET, code, { now: T0 })).toEqual({ ok: true, step: step + offset });
    }
    for (const offset of [-2, 2]) {
      const code = currentTotp(RFC_SECRET, T0 + offset * 30_000);
      expect(verifyTotp(RFC_SECRET, code, { now: T0 })).toEqual({ ok: false });
    }
  });

  it('refuses a code whose step is not after the last used step', () => {
    const code = currentTotp(RFC_SECRET, T0);
    const first = verifyTotp(RFC_SECRET, code, { now: T0 });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(verifyTotp(RFC_SECRET, code, { now: T0, lastUsedStep: first.step })).toEqual({ ok: false });
    expect(verifyTotp(RFC_SECRET, code, { now: T0 + 30_000, lastUsedStep: first.step })).toEqual({ ok: false });
    // An earlier (drifted) code is also refused once a later step has been used.
    const previous = currentTotp(RFC_SECRET, T0 - 30_000);
    expect(verifyTotp(RFC_SECRET, previous, { now: T0, lastUsedStep: first.step })).toEqual({ ok: false });
    // The next step's code is still accepted, and a last step beyond the window just refuses.
    const next = currentTotp(RFC_SECRET, T0 + 30_000);
    expect(verifyTotp(RFC_SECRET, next, { now: T0 + 30_000, lastUsedStep: first.step })).toEqual({ ok: true, step: first.step + 1 });
    expect(verifyTotp(RFC_SECRET, next, { now: T0, lastUsedStep: first.step + 5 })).toEqual({ ok: false });
  });

  it('strips whitespace and refuses anything but exactly six ASCII digits', () => {
    const code = currentTotp(RFC_SECRET, T0);
    expect(verifyTotp(RFC_SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, { now: T0 }).ok).toBe(true);
    expect(verifyTotp(RFC_SECRET, ` ${code} `, { now: T0 }).ok).toBe(true);
    for (const bad of ['12345', '1234567', 'abcdef', '١٢٣٤٥٦', '', '      ', `${code}0`, `+${code.slice(1)}`, '１２３４５６', `${code.slice(0, 5)}.`]) {
      expect(verifyTotp(RFC_SECRET, bad, { now: T0 })).toEqual({ ok: false });
    }
    // Arabic-Indic digits of the right value are still refused.
    const arabic = code.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    expect(verifyTotp(RFC_SECRET, arabic, { now: T0 })).toEqual({ ok: false });
  });

  it('refuses the right code for another secret', () => {
    const other = generateTotpSecret();
    expect(verifyTotp(other, currentTotp(RFC_SECRET, T0), { now: T0 }).ok).toBe(false);
  });

  it('builds an otpauth URI with the issuer in label and parameter', () => {
    const secret = generateTotpSecret();
    const uri = totpUri({ secret, accountName: 'alice@example.com', issuer: 'Portvakt Demo' });
    expect(uri.startsWith('otpauth://totp/Portvakt%20Demo:alice%40example.com?')).toBe(true);
    const params = new URL(uri).searchParams;
    expect(params.get('secret')).toBe(secret);
    expect(params.get('issuer')).toBe('Portvakt Demo');
    expect(() => totpUri({ secret, accountName: 'a:b', issuer: 'X' })).toThrow(RangeError);
    expect(() => totpUri({ secret, accountName: 'a', issuer: 'X:Y' })).toThrow(RangeError);
  });
});
