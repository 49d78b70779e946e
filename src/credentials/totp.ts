import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';

/**
 * TOTP second factor (RFC 6238) with the parameters every authenticator app supports: HMAC-SHA-1,
 * 6 digits, 30 second time steps, base32 secret of 160 bits (RFC 4226 section 4 recommends 160).
 *
 * Pure functions, no storage: the caller keeps the secret (sealed) and the last accepted time step,
 * and passes that step back as `lastUsedStep` so a code cannot be used twice (RFC 6238 section 5.2).
 */

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Accepted clock drift in time steps either side of the current one. */
export const TOTP_DRIFT_STEPS = 1;
const SECRET_BYTES = 20;

export type TotpVerifyResult = { ok: true; step: number } | { ok: false };

export function generateTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/**
 * otpauth://totp/Issuer:account?secret=...&issuer=... (Key URI Format). Neither part may contain a
 * colon, the label separator, so such input is refused rather than producing an ambiguous label.
 */
export function totpUri(input: { secret: string; accountName: string; issuer: string }): string {
  const { secret, accountName, issuer } = input;
  if (issuer === '' || accountName === '') throw new RangeError('TOTP issuer and account name must not be empty');
  if (issuer.includes(':') || accountName.includes(':')) throw new RangeError('TOTP issuer and account name must not contain a colon');
  return generateURI({ strategy: 'totp', issuer, label: accountName, secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });
}

/** The time step (RFC 6238 T) that contains the instant `now` (milliseconds since the epoch). */
export function totpStep(now: number = Date.now()): number {
  return Math.floor(epochSeconds(now) / TOTP_PERIOD_SECONDS);
}

/** The code an authenticator shows at `now` (milliseconds); for tests and diagnostics. */
export function currentTotp(secret: string, now: number = Date.now()): string {
  return generateSync({ strategy: 'totp', secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, epoch: epochSeconds(now) });
}

/**
 * Accepts `code` if it is the code of the current time step or one step either side, and that step
 * is later than `lastUsedStep`. Whitespace is stripped; anything else than exactly six ASCII digits is
 * refused before any HMAC is computed. The comparison is constant-time (otplib's constantTimeEqual).
 * A malformed secret throws: that is a server-side fault, not a wrong code.
 */
export function verifyTotp(secret: string, code: string, options: { now?: number; lastUsedStep?: number } = {}): TotpVerifyResult {
  const token = typeof code === 'string' ? code.replace(/\s/g, '') : '';
  if (!/^[0-9]{6}$/.test(token)) return { ok: false };

  const epoch = epochSeconds(options.now ?? Date.now());
  const current = Math.floor(epoch / TOTP_PERIOD_SECONDS);
  const { lastUsedStep } = options;
  if (lastUsedStep !== undefined && !Number.isSafeInteger(lastUsedStep)) throw new RangeError('lastUsedStep must be a safe integer');
  // Every step in the window has already been used (otplib would throw rather than answer false).
  if (lastUsedStep !== undefined && lastUsedStep >= current + TOTP_DRIFT_STEPS) return { ok: false };

  const result = verifySync({
    strategy: 'totp',
    secret,
    token,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    epoch,
    // A tolerance of one period in seconds spans exactly the steps current-1 .. current+1.
    epochTolerance: TOTP_DRIFT_STEPS * TOTP_PERIOD_SECONDS,
    // Rejects every step <= afterTimeStep; steps are never negative, so a negative value restricts nothing.
    afterTimeStep: lastUsedStep !== undefined && lastUsedStep >= 0 ? lastUsedStep : undefined,
  });
  if (!result.valid || !('timeStep' in result)) return { ok: false };
  return { ok: true, step: result.timeStep };
}

function epochSeconds(nowMs: number): number {
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError('now must be a non-negative number of milliseconds');
  return Math.floor(nowMs / 1000);
}
