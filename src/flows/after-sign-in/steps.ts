import type { SecurityNotices } from '../../account/security-notices.ts';
import type { Brands } from '../../brands/brands.ts';
import type { ConsentLedger } from '../../consent/consent-ledger.ts';
import type { SecondFactors } from '../../credentials/second-factors.ts';
import type { Customers } from '../../customers/customers.ts';
import type { AuditLog } from '../../events/audit-log.ts';
import type { IdentityLinks } from '../../federation/identity-links.ts';
import type { Guests } from '../../guests/guests.ts';
import type { InteractionFlowStore } from '../../oidc/interaction-flows.ts';
import { activeAccount } from './active-account.ts';
import { AfterSignIn } from './after-sign-in.ts';
import { brandNotice } from './brand-notice.ts';
import { consentsDue } from './consents-due.ts';
import { guestClaim } from './guest-claim.ts';
import { identityLink, identityLinkProof } from './identity-link.ts';
import { passkeyOffer } from './passkey-offer.ts';
import { profileDue } from './profile-due.ts';
import { secondFactor, secondFactorEnrolment } from './second-factor.ts';

export interface AfterSignInDeps {
  flows: InteractionFlowStore;
  audit: AuditLog;
  customers: Customers;
  factors: SecondFactors;
  links: IdentityLinks;
  notices: SecurityNotices;
  guests: Guests;
  ledger: ConsentLedger;
  brands: Brands;
  /** The profile attributes to ask before this sign-in completes (progressive profiling): their keys. */
  profileDueKeys: (customerId: string, params: Record<string, unknown>) => Promise<string[]>;
}

/**
 * The steps after the first factor, in the order they are owed. The factors come first (a new
 * account's passkey offer, then the account's status, then the second factor); what waited for
 * that proof (an identity to link, a guest to claim) happens next, because what it brings counts
 * for the choices after it; the choices (consents, profile, brand notice) come last.
 */
export function afterSignIn(deps: AfterSignInDeps): AfterSignIn {
  return new AfterSignIn(
    [
      identityLinkProof(deps),
      passkeyOffer(),
      activeAccount(deps),
      secondFactor(deps),
      secondFactorEnrolment(deps),
      identityLink(deps),
      guestClaim(deps),
      consentsDue(deps),
      profileDue({ dueKeys: deps.profileDueKeys }),
      brandNotice(deps),
    ],
    deps.flows,
    deps.audit,
  );
}
