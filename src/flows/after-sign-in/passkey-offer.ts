import type { PageStep } from './after-sign-in.ts';

/** A new account made by an e-mail code is offered a passkey for next time, before anything else. */
export function passkeyOffer(): PageStep {
  return {
    name: 'passkey_offer',
    page: '/passkey/offer',
    async due({ created, customerId, amr }) {
      return created ? { state: 'offer_passkey', customerId, amr } : undefined;
    },
  };
}
