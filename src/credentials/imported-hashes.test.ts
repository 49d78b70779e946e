import { createHash } from 'node:crypto';
import { hashRaw } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { FIREBASE_VECTOR, PHPASS_VECTOR, sampleHashes } from '../../test/support/hash-samples.ts';
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

  it("verifies phpass's own test vector, as WordPress's $P$ and phpBB's $H$", async () => {
    for (const hash of [PHPASS_VECTOR.hash, PHPASS_VECTOR.hash.replace(/^\$P\$/, '$H$')]) {
      const recognised = recogniseHash(hash, options);
      expect(recognised.format).toBe('phpass');
      expect(await verifyPassword(recognised.stored, PHPASS_VECTOR.password), hash).toBe(true);
      expect(await verifyPassword(recognised.stored, 'test12346'), hash).toBe(false);
    }
  });

  it("verifies Magento 2's upgraded hash chains, each step over the last one's hex, as its Encryptor does", async () => {
    // Vectors made here as Magento makes them: md5/sha256 of salt + input, hex; libsodium's argon2id13 (t=2, 64 MiB, one lane) over the salt cut to 16 bytes.
    const salt = 'P8qnyO4H1OYIfGCUbXk2Lz9wQe3Rt7Ya';
    const digest = (algorithm: 'md5' | 'sha256', input: string) => createHash(algorithm).update(salt + input, 'utf8').digest('hex');
    const argon = async (input: string, saltText = salt) => (await hashRaw(input, { algorithm: 2, memoryCost: 65536, timeCost: 2, parallelism: 1, outputLen: 32, salt: Buffer.from(saltText.padEnd(16, saltText).slice(0, 16)) })).toString('hex');
    const cases: Array<[string, string, boolean]> = [
      [`${await argon(digest('sha256', PASSWORD))}:${salt}:1:2`, 'magento-argon2id', false],
      [`${await argon(digest('md5', PASSWORD))}:${salt}:0:3_32_2_67108864`, 'magento-argon2id', false],
      [`${await argon(await argon(PASSWORD))}:${salt}:2:3_32_2_67108864`, 'magento-argon2id', false],
      [`${digest('sha256', digest('md5', PASSWORD))}:${salt}:0:1`, 'magento-sha256', true],
      [`${digest('md5', PASSWORD)}:${salt}:0`, 'magento-md5', true],
      [`${await argon(PASSWORD, 'short')}:short:2`, 'magento-argon2id', false],
    ];
    for (const [hash, format, weak] of cases) {
      const recognised = recogniseHash(hash, options);
      expect([recognised.format, recognised.weak], hash).toEqual([format, weak]);
      expect(await verifyPassword(recognised.stored, PASSWORD), hash).toBe(true);
      expect(await verifyPassword(recognised.stored, `${PASSWORD}x`), hash).toBe(false);
    }
    // The steps in the wrong order, a digest of the wrong length, an unknown version, or argon2id asking for 2 GiB: refused or failing.
    const reversed = recogniseHash(`${await argon(digest('sha256', PASSWORD))}:${salt}:2:1`, options);
    expect(await verifyPassword(reversed.stored, PASSWORD)).toBe(false);
    for (const bad of [`${digest('md5', PASSWORD)}:${salt}:1`, `${digest('sha256', PASSWORD)}:${salt}:7`, `${'a'.repeat(64)}:${salt}:3_32_2_2147483648`, `${'a'.repeat(64)}:${salt}:1:1:1:1:1`]) {
      expect(() => recogniseHash(bad, options), bad).toThrow(HashRefusal);
    }
  });

  it('refuses an unknown format, and a weak one without the flag', () => {
    expect(() => recogniseHash(PHPASS_VECTOR.hash.replace('$P$9', '$P$z'), options)).toThrow(HashRefusal);
    expect(() => recogniseHash('5f4dcc3b5aa765d61d8327deb882cf99', options)).toThrow(HashRefusal);
    expect(() => recogniseHash({ algorithm: 'md5', salt: 'x', hash: 'a'.repeat(32) }, { allowWeak: false, weakPolicy: 'rehash' })).toThrow(/weak/);
    expect(recogniseHash({ algorithm: 'sha256', salt: 'x', hash: 'a'.repeat(64) }, { allowWeak: true, weakPolicy: 'reset' }).stored).toMatch(/^import:salted-sha256:reset:/);
  });
});
