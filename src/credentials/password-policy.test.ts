import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password-hasher.ts';
import { assertAcceptablePassword, isCommonPassword, PASSWORD_MAX_LENGTH } from './password-policy.ts';

describe('password policy (NIST 800-63B-4)', () => {
  it('ships the 10,000 most common passwords and refuses them case-insensitively', () => {
    for (const common of ['123456', 'password', 'qwerty', 'Dragon', 'letmein', 'iloveyou']) expect(isCommonPassword(common)).toBe(true);
    expect(isCommonPassword('correct horse battery staple')).toBe(false);
    expect(() => assertAcceptablePassword('baseball', 8)).toThrow(expect.objectContaining({ code: 'password_too_common' }));
  });

  it('counts code points, accepts 64 and more characters and any characters, no composition rules', () => {
    expect(() => assertAcceptablePassword('åäöåäöåä', 8)).not.toThrow();
    expect(() => assertAcceptablePassword('🙂🙂🙂🙂🙂🙂🙂', 8)).toThrow(expect.objectContaining({ code: 'password_too_short' }));
    expect(() => assertAcceptablePassword('x'.repeat(64), 8)).not.toThrow();
    expect(() => assertAcceptablePassword('all lower case words here', 8)).not.toThrow();
    expect(() => assertAcceptablePassword('y'.repeat(PASSWORD_MAX_LENGTH + 1), 8)).toThrow(expect.objectContaining({ code: 'password_too_long' }));
  });

  it('honours a configured minimum such as 15 for password-only accounts', () => {
    expect(() => assertAcceptablePassword('fourteen chars', 15)).toThrow(expect.objectContaining({ code: 'password_too_short', status: 400 }));
    expect(() => assertAcceptablePassword('fifteen chars!!', 15)).not.toThrow();
  });

  it('hashes with argon2id m=19456 t=2 p=1 and verifies NFKC-equivalent input', async () => {
    const hash = await hashPassword('ﬁve ﬁsh swim');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'five fish swim')).toBe(true);
    expect(await verifyPassword(hash, 'five fish swam')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });
});
