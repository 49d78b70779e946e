import type { SecurityNotices } from '../../account/security-notices.ts';
import { DomainError } from '../../errors/domain-error.ts';
import type { IdentityLinks } from '../../federation/identity-links.ts';
import { held, type ActionStep } from './after-sign-in.ts';

/**
 * An upstream identity waits for a code to its address (the upstream did not vouch for it): only a
 * sign-in by that code can link it, so any other way in is refused on this step rather than signing
 * the person in and silently linking nothing. Giving up on connecting (`/upstream/link/cancel`)
 * drops the identity, and every way in works again. First of the steps, before any page is asked.
 */
export function identityLinkProof(deps: { links: IdentityLinks }): ActionStep {
  return {
    name: 'identity_link_proof',
    async run(signedIn) {
      const link = await deps.links.pending(signedIn.uid);
      if (link && !link.vouched && !signedIn.amr.includes('email')) {
        throw new DomainError('link_needs_code', 400, 'To connect the account you came with, confirm your e-mail address with a code; or cancel connecting it');
      }
    },
  };
}

/** An upstream identity waiting for this proof is linked, and the customer told (as for any new way in). */
export function identityLink(deps: { links: IdentityLinks; notices: SecurityNotices }): ActionStep {
  return {
    name: 'identity_link',
    async run(signedIn) {
      const linked = await deps.links.settle(signedIn.uid, signedIn.customerId, held(signedIn).amr);
      if (linked) await deps.notices.send(signedIn.customerId, 'identity_linked', linked);
    },
  };
}
