import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

/** `acr` values Portvakt issues: one factor, or more than one (password + TOTP, passkey with user verification). */
export const ACR_SINGLE_FACTOR = 'urn:portvakt:acr:1fa';
export const ACR_MULTI_FACTOR = 'urn:portvakt:acr:mfa';
/** The OpenID PAPE multi-factor policy URI, which many relying parties (and Auth0) send for MFA. */
export const ACR_PAPE_MULTI_FACTOR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
export const ACR_VALUES = [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR, ACR_PAPE_MULTI_FACTOR];
const MULTI_FACTOR = new Set([ACR_MULTI_FACTOR, ACR_PAPE_MULTI_FACTOR]);

/** The reason the login prompt gives when a client asks for MFA and the session has one factor. */
export const MFA_REQUIRED = 'mfa_required';

/** The multi-factor acr the client asked for in `acr_values`, if any. */
export function requestedMultiFactorAcr(acrValues: unknown): string | undefined {
  return String(acrValues ?? '')
    .split(' ')
    .find((value) => MULTI_FACTOR.has(value));
}

export function isMultiFactorAcr(acr: unknown): boolean {
  return typeof acr === 'string' && MULTI_FACTOR.has(acr);
}

/**
 * oidc-provider's login prompt only enforces `acr` asked as an essential claim; `acr_values` is
 * voluntary there. This check makes a multi-factor `acr_values` binding: a session signed in
 * with one factor is sent back to the login prompt for the second (step-up). `consentChecks`
 * join the consent prompt (purposes a client asks for).
 */
export function interactionPolicyWithStepUp(consentChecks: Array<InstanceType<typeof interactionPolicy.Check>> = []) {
  const policy = interactionPolicy.base();
  // prompt=create (OpenID Connect Initiating User Registration): the hosted pages open on sign-up;
  // the sign-in or sign-up that follows answers it.
  policy.add(new interactionPolicy.Prompt({ name: 'create', requestable: true }), 0);
  for (const check of consentChecks) policy.get('consent')!.checks.add(check);
  policy.get('login')!.checks.add(
    new interactionPolicy.Check(
      MFA_REQUIRED,
      'multi-factor authentication is required',
      'login_required',
      (ctx: KoaContextWithOIDC) => {
        const wanted = requestedMultiFactorAcr(ctx.oidc.params?.acr_values);
        return wanted && !isMultiFactorAcr(ctx.oidc.session?.acr) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
      },
    ),
  );
  return policy;
}
