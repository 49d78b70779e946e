import type { InteractionResults } from 'oidc-provider';
import type { SecondFactors } from '../credentials/second-factors.ts';
import type { CustomerService } from '../customers/customer.service.ts';
import { DomainError } from '../errors/domain-error.ts';
import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR, requestedMultiFactorAcr } from '../oidc/authentication-context.ts';
import type { AuthMethod, InteractionFlowStore } from '../oidc/interaction-flows.ts';

export type Completion =
  | { next: 'login'; result: InteractionResults }
  /** The customer has a second factor (or the client asked for one): ask for it. */
  | { next: 'second_factor' }
  /** The client asked for MFA and the customer has no second factor yet: set one up now. */
  | { next: 'enrol_second_factor' };

const SECOND_FACTORS: ReadonlySet<AuthMethod> = new Set(['otp', 'hwk']);

/**
 * The last step of every sign-in method: either the sign-in is complete (a login result with
 * `amr` and `acr`), or a second factor is still owed, which the flow state records.
 */
export class SignInCompletion {
  readonly #flows: InteractionFlowStore;
  readonly #factors: SecondFactors;
  readonly #customers: CustomerService;

  constructor(flows: InteractionFlowStore, factors: SecondFactors, customers: CustomerService) {
    this.#flows = flows;
    this.#factors = factors;
    this.#customers = customers;
  }

  async afterFactor(uid: string, customerId: string, amr: AuthMethod[], acrValues: unknown): Promise<Completion> {
    // Every way in ends here, so this is where a disabled account is stopped, whatever the method.
    const customer = await this.#customers.findById(customerId);
    if (customer?.status !== 'active') throw new DomainError('account_disabled', 403, 'This account is disabled');
    const requested = requestedMultiFactorAcr(acrValues);
    const multi = isMultiFactor(amr);
    if (!multi) {
      const { totp } = await this.#factors.status(customerId);
      if (totp) {
        await this.#flows.set(uid, { state: 'second_factor', customerId, amr });
        return { next: 'second_factor' };
      }
      if (requested) {
        await this.#flows.set(uid, { state: 'enrol_second_factor', customerId, amr });
        return { next: 'enrol_second_factor' };
      }
    }
    // A flow row left behind (code sent, reset done) dies with its interaction, which the login
    // result finishes; the cleanup timer deletes it. No write on the sign-in path for it.
    return { next: 'login', result: loginResult(customerId, amr, requested) };
  }
}

/** A passkey with user verification is two factors in one (possession and the device's biometric or PIN). */
export function isMultiFactor(amr: AuthMethod[]): boolean {
  if (amr.includes('hwk')) return true;
  const first = amr.some((method) => !SECOND_FACTORS.has(method) && method !== 'mfa');
  return first && amr.some((method) => SECOND_FACTORS.has(method));
}

export function loginResult(accountId: string, amr: AuthMethod[], requestedAcr?: string): InteractionResults {
  const multi = isMultiFactor(amr);
  const methods = multi && !amr.includes('mfa') ? [...amr, 'mfa'] : amr;
  return { login: { accountId, amr: methods, acr: multi ? (requestedAcr ?? ACR_MULTI_FACTOR) : ACR_SINGLE_FACTOR, remember: true } };
}
