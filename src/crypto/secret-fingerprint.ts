import { deriveKey } from './derived-keys.ts';

/**
 * Names PORTVAKT_SECRET without revealing it: 16 bytes HKDF-derived under their own purpose, in
 * hex. A backup records it so a restore can tell the right secret from a wrong one; nothing can
 * be opened or signed with it.
 */
export function secretFingerprint(secret: string): string {
  return deriveKey(secret, 'secret-fingerprint', 16).toString('hex');
}
