import { hash, verify } from '@node-rs/argon2';
import { hashingSlots } from './hashing-slots.ts';
import { isImported, verifyImported } from './imported-hashes.ts';

/** OWASP's argon2id parameters: 19 MiB memory, 2 iterations, 1 lane. */
export const ARGON2_OPTIONS = { algorithm: 2 /* Algorithm.Argon2id, a const enum type stripping cannot inline */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** The same password typed on any keyboard or OS gives the same code points (NIST 800-63B-4). */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export function hashPassword(password: string): Promise<string> {
  return hashingSlots.run(() => hash(normalizePassword(password), ARGON2_OPTIONS));
}

/**
 * Every password check goes through here: a hash imported from another platform is checked as
 * that platform made it (over the password as typed); a wrong password against it costs the same
 * argon2id work as against any other (a fast imported digest does not tell an account apart by the
 * answer's time).
 */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  if (isImported(storedHash)) return (await verifyImported(storedHash, password)) || verifyAgainstDecoy(password);
  try {
    return await hashingSlots.run(() => verify(storedHash, normalizePassword(password)));
  } catch {
    return false;
  }
}

let decoyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real check when there is nothing to check against (unknown e-mail,
 * customer without a password), so response time does not tell whether an account exists.
 */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoyHash ??= hashPassword('portvakt-decoy-password');
  await verifyPassword(await decoyHash, password);
  return false;
}
