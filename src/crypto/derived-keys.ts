import { hkdfSync } from 'node:crypto';

/** What a key derived from PORTVAKT_SECRET is used for; one purpose, one key. */
export type KeyPurpose = 'signing-key-encryption' | 'cookie-signing' | 'csrf' | 'ip-pseudonym' | 'outbox-payload' | 'one-time-code' | 'recovery-code' | 'totp-secret' | 'webhook-secret' | 'data-system-secret' | 'email-suppression' | 'privacy-export' | 'connection-secret' | 'operator-credentials' | 'member-code' | 'saml-name-id' | 'secret-fingerprint' | 'hash-key-encryption';

/** HKDF-SHA256 over the deployment secret, so one secret yields independent keys per purpose. */
export function deriveKey(secret: string, purpose: KeyPurpose, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'portvakt', purpose, length));
}
