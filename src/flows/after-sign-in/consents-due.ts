import type { ConsentLedger } from '../../consent/consent-ledger.ts';
import { requestedPurposes } from '../../oidc/purpose-requests.ts';
import { held, type PageStep } from './after-sign-in.ts';

/** Purposes never asked, or with a new version that needs fresh consent: asked now, once. */
export function consentsDue(deps: { ledger: ConsentLedger }): PageStep {
  return {
    name: 'consents_due',
    page: '/consents',
    async due(signedIn) {
      const due = await deps.ledger.due(signedIn.customerId, { brand: signedIn.brand, requested: requestedPurposes(signedIn.params.purposes) });
      return due.length > 0 ? { state: 'consent_due', ...held(signedIn) } : undefined;
    },
  };
}
