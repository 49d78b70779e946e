import { held, type PageStep } from './after-sign-in.ts';

/** Attributes this client asks for that the customer never gave: just those, on one screen. */
export function profileDue(deps: { dueKeys: (customerId: string, params: Record<string, unknown>) => Promise<string[]> }): PageStep {
  return {
    name: 'profile_due',
    page: '/profile',
    async due(signedIn) {
      const keys = await deps.dueKeys(signedIn.customerId, signedIn.params);
      return keys.length > 0 ? { state: 'profile_due', ...held(signedIn), keys } : undefined;
    },
  };
}
