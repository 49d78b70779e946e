import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { clientBrand } from './purpose-requests.ts';

/** The consent-prompt reason for the one-time brand notice of a signed-in customer (single sign-on). */
export const BRAND_FIRST_VISIT = 'brand_first_visit';

/**
 * A customer signed in to the group (single sign-on) who comes to a brand's client for the first
 * time passes one page, "you are using your group account here", in the brand's look. A sign-in
 * in this very interaction shows it itself and records the visit, so this check then finds nothing.
 */
export function brandFirstVisit(due: (accountId: string, brand: string | null) => Promise<boolean>) {
  return new interactionPolicy.Check(BRAND_FIRST_VISIT, 'first sign-in at this brand', 'consent_required', async (ctx: KoaContextWithOIDC) => {
    const accountId = ctx.oidc.session?.accountId;
    // A silent request (prompt=none) is never stopped for it: the notice waits for a sign-in with pages.
    if (!accountId || ctx.oidc.prompts.has('none')) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    return (await due(accountId, clientBrand(ctx.oidc.client))) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  });
}
