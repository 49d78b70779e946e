import type { SecondFactors } from '../../credentials/second-factors.ts';
import { requestedMultiFactorAcr } from '../../oidc/authentication-context.ts';
import type { PageStep } from './after-sign-in.ts';
import { isMultiFactor } from './login-result.ts';

/** One factor proven and the customer has an authenticator app: its code (or a recovery code) is asked. */
export function secondFactor(deps: { factors: SecondFactors }): PageStep {
  return {
    name: 'second_factor',
    page: '/mfa',
    async due({ customerId, amr }) {
      if (isMultiFactor(amr)) return undefined;
      const { totp } = await deps.factors.status(customerId);
      return totp ? { state: 'second_factor', customerId, amr } : undefined;
    },
  };
}

/** The client asked for MFA (`acr_values`) and the customer has no second factor: one is set up now. */
export function secondFactorEnrolment(deps: { factors: SecondFactors }): PageStep {
  return {
    name: 'second_factor_enrolment',
    page: '/mfa',
    async due({ customerId, amr, params }) {
      if (isMultiFactor(amr) || !requestedMultiFactorAcr(params.acr_values)) return undefined;
      const { totp } = await deps.factors.status(customerId);
      return totp ? undefined : { state: 'enrol_second_factor', customerId, amr };
    },
  };
}
