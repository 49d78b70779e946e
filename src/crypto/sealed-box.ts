import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * One key, or several during a change of PORTVAKT_SECRET: the first seals, every one opens (the
 * current secret's key first, then those of PORTVAKT_PREVIOUS_SECRETS).
 */
export type SealingKeys = Buffer | readonly Buffer[];

const keysOf = (keys: SealingKeys): readonly Buffer[] => (Buffer.isBuffer(keys) ? [keys] : (keys as readonly Buffer[]));

/** AES-256-GCM: `v1.<iv>.<ciphertext>.<tag>`, base64url parts. Used for signing keys at rest. */
export function seal(keys: SealingKeys, plaintext: string, associatedData: string): string {
  const key = keysOf(keys)[0];
  if (!key) throw new SealedBoxError('no sealing key');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export class SealedBoxError extends Error {
  override name = 'SealedBoxError';
}

export function open(keys: SealingKeys, sealed: string, associatedData: string): string {
  const [version, iv, ciphertext, tag] = sealed.split('.');
  if (version !== VERSION || !iv || ciphertext === undefined || !tag) throw new SealedBoxError('unknown sealed-box format');
  for (const key of keysOf(keys)) {
    const opened = openWith(key, iv, ciphertext, tag, associatedData);
    if (opened !== undefined) return opened;
  }
  throw new SealedBoxError('cannot decrypt: PORTVAKT_SECRET differs from the one the data was sealed with');
}

function openWith(key: Buffer, iv: string, ciphertext: string, tag: string, associatedData: string): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
