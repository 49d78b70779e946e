import type { InteractionResults } from 'oidc-provider';
import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR } from '../../oidc/authentication-context.ts';
import type { AuthMethod } from '../../oidc/interaction-flows.ts';

const SECOND_FACTORS: ReadonlySet<AuthMethod> = new Set(['otp', 'hwk']);

/** A passkey with user verification is two factors in one (possession and the device's biometric or PIN). */
export function isMultiFactor(amr: readonly AuthMethod[]): boolean {
  if (amr.includes('hwk')) return true;
  const first = amr.some((method) => !SECOND_FACTORS.has(method) && method !== 'mfa');
  return first && amr.some((method) => SECOND_FACTORS.has(method));
}

/** The login handed to oidc-provider: `amr` (with `mfa` when two factors were proven) and `acr`. */
export function loginResult(accountId: string, amr: AuthMethod[], requestedAcr?: string): InteractionResults {
  const multi = isMultiFactor(amr);
  const methods = multi && !amr.includes('mfa') ? [...amr, 'mfa'] : amr;
  return { login: { accountId, amr: methods, acr: multi ? (requestedAcr ?? ACR_MULTI_FACTOR) : ACR_SINGLE_FACTOR, remember: true } };
}
