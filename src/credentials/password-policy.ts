import { readFileSync } from 'node:fs';
import { invalid } from '../errors/domain-error.ts';
import { normalizePassword } from './password-hasher.ts';

/**
 * NIST 800-63B-4 §3.1.1.2: a minimum length (8 by default, 15 when a password is the only factor;
 * configurable with PASSWORD_MIN_LENGTH), at least 64 characters accepted (we take 256), every
 * printable character and space allowed, no composition rules, and a check against passwords
 * known to be common. Length counts Unicode code points after NFKC normalisation.
 */
export const PASSWORD_MAX_LENGTH = 256;

const commonPasswords = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.toLowerCase()),
);

export function isCommonPassword(password: string): boolean {
  return commonPasswords.has(normalizePassword(password).toLowerCase());
}

/** Throws `password_too_short`, `password_too_long` or `password_too_common`. */
export function assertAcceptablePassword(password: string, minLength: number): void {
  const length = [...normalizePassword(password)].length;
  if (length < minLength) {
    throw invalid('password_too_short', `Password must have at least ${minLength} characters`, { min_length: minLength });
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw invalid('password_too_long', `Password must have at most ${PASSWORD_MAX_LENGTH} characters`);
  }
  if (isCommonPassword(password)) {
    throw invalid('password_too_common', 'This password is one of the most common ones; choose another');
  }
}
