import type { SecondFactors } from '../credentials/second-factors.ts';
import type { BrowserSession } from '../oidc/browser-session.ts';

/** Changes that weaken the account or add a way in need a sign-in this recent. */
export const FRESH_LOGIN_SECONDS = 10 * 60;

export function isFresh(session: BrowserSession, now = Date.now()): boolean {
  return now / 1000 - session.loginTs < FRESH_LOGIN_SECONDS;
}

export function multiFactor(session: BrowserSession): boolean {
  return session.amr.some((method) => method === 'otp' || method === 'hwk');
}

/**
 * Adding a way to sign in (a passkey, a phone for SMS codes) needs a fresh sign-in, and a
 * multi-factor one when the customer has a second factor: otherwise a stolen password or session
 * could add a way in that outlives a password reset.
 */
export async function mayAddSignInMethod(session: BrowserSession, factors: SecondFactors): Promise<boolean> {
  return isFresh(session) && (multiFactor(session) || !(await factors.status(session.accountId)).totp);
}
