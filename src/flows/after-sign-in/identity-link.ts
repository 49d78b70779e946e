import type { SecurityNotices } from '../../account/security-notices.ts';
import type { IdentityLinks } from '../../federation/identity-links.ts';
import { held, type ActionStep } from './after-sign-in.ts';

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
