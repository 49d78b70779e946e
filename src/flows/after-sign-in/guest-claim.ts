import type { Guests } from '../../guests/guests.ts';
import { held, type ActionStep } from './after-sign-in.ts';

/** A guest this authorization request claims (`guest=`) joins the account that proved its address; its consent choices count for the steps after. */
export function guestClaim(deps: { guests: Guests }): ActionStep {
  return {
    name: 'guest_claim',
    async run(signedIn) {
      await deps.guests.claim(signedIn.params.guest, signedIn.customerId, held(signedIn).amr);
    },
  };
}
