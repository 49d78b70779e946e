import { deriveKey, type KeyPurpose } from './derived-keys.ts';

/**
 * Keys that make stored values found again by recomputing them: pseudonyms of IP addresses and
 * e-mail addresses, HMACs of one-time, recovery and member codes, SAML NameIDs. A value stored
 * under such a key cannot be re-made under another (the code or address is not kept), so a change
 * of PORTVAKT_SECRET keeps these keys: `secret rotate` stores them sealed under the new secret
 * (table `hash_keys`) and every node uses those from then on.
 */
export const HASH_PURPOSES = ['ip-pseudonym', 'one-time-code', 'recovery-code', 'email-suppression', 'member-code', 'saml-name-id'] as const;
export type HashPurpose = (typeof HASH_PURPOSES)[number];

/** Keys that seal values at rest (AES-256-GCM); `secret rotate` re-seals those values under the new secret. */
export type SealingPurpose = Exclude<KeyPurpose, HashPurpose | 'cookie-signing' | 'csrf' | 'secret-fingerprint'>;

/**
 * The keys PORTVAKT_SECRET yields, and during a change of it those of PORTVAKT_PREVIOUS_SECRETS:
 * the current secret seals and signs cookies, every listed one opens and verifies. Hash keys come
 * from the database once a rotation stored them, before that from the oldest secret listed (the
 * one they were first derived from).
 */
export class SecretKeys {
  readonly secret: string;
  readonly previous: readonly string[];
  readonly #hashKeys: ReadonlyMap<HashPurpose, Buffer>;

  constructor(secret: string, previous: readonly string[] = [], hashKeys?: ReadonlyMap<HashPurpose, Buffer>) {
    this.secret = secret;
    this.previous = previous;
    const oldest = previous.at(-1) ?? secret;
    this.#hashKeys = hashKeys ?? new Map(HASH_PURPOSES.map((purpose) => [purpose, deriveKey(oldest, purpose)]));
  }

  /** The current secret's key first (it seals), then the previous secrets' (they only open). */
  sealing(purpose: SealingPurpose): Buffer[] {
    return [this.secret, ...this.previous].map((secret) => deriveKey(secret, purpose));
  }

  hashing(purpose: HashPurpose): Buffer {
    return this.#hashKeys.get(purpose)!;
  }

  /** Cookie signing keys: the first signs, all verify (and a cookie verified by a later one is signed again with the first). */
  cookieKeys(): string[] {
    return [this.secret, ...this.previous].map((secret) => deriveKey(secret, 'cookie-signing').toString('base64url'));
  }

  withHashKeys(hashKeys: ReadonlyMap<HashPurpose, Buffer>): SecretKeys {
    return new SecretKeys(this.secret, this.previous, hashKeys);
  }
}
