import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Machine-generated secrets (client secrets, later recovery codes) carry 256 bits of entropy, so a
 * slow password hash adds nothing but latency on the token endpoint. They are stored as SHA-256
 * digests and compared in constant time. Human passwords use argon2id (credentials/password.ts).
 */
export function generateSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('base64url')}`;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash);
  const actual = Buffer.from(hashSecret(secret));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
