import { describe, expect, it } from 'vitest';
import { FIREBASE_VECTOR, sampleHashes } from '../../test/support/hash-samples.ts';
import { HashRefusal, recogniseHash, verifyImported } from './imported-hashes.ts';
import { verifyPassword } from './password-hasher.ts';

const PASSWORD = 'Sommar-2019 åäö';
const options = { allowWeak: true, weakPolicy: 'rehash' as const };

describe('imported password hashes', () => {
  it('recognises and verifies every format, made by its own library', async () => {
    for (const [format, input] of await sampleHashes(PASSWORD)) {
      const recognised = recogniseHash(input, options);
      expect(recognised.format, format).toBe(format);
      expect(await verifyImported(recognised.stored, PASSWORD), format).toBe(true);
      expect(await verifyPassword(recognised.stored, `${PASSWORD}x`), format).toBe(false);
    }
  });

  it('verifies Firebase\'s published scrypt vector', async () => {
    const { password, ...input } = FIREBASE_VECTOR;
    const recognised = recogniseHash(input, options);
    expect(recognised.format).toBe('firebase-scrypt');
    expect(await verifyPassword(recognised.stored, password)).toBe(true);
    expect(await verifyPassword(recognised.stored, 'user2password')).toBe(false);
  });

  it('refuses an unknown format, and a weak one without the flag', () => {
    expect(() => recogniseHash('5f4dcc3b5aa765d61d8327deb882cf99', options)).toThrow(HashRefusal);
    expect(() => recogniseHash({ algorithm: 'md5', salt: 'x', hash: 'a'.repeat(32) }, { allowWeak: false, weakPolicy: 'rehash' })).toThrow(/weak/);
    expect(recogniseHash({ algorithm: 'sha256', salt: 'x', hash: 'a'.repeat(64) }, { allowWeak: true, weakPolicy: 'reset' }).stored).toMatch(/^import:salted-sha256:reset:/);
  });
});
