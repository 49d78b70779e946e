import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { addRequestedResourceScopes } from './resource-indicators.ts';

/**
 * First-party clients (the company's own web shop, app, portal) skip the consent screen: the grant
 * is created or widened to what they asked for (resource scopes included). Third-party clients keep oidc-provider's default:
 * reuse the grant the customer gave, and ask (consent prompt) for anything missing.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { client, session, provider } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  let grant = grantId ? await provider.Grant.find(grantId) : undefined;
  if (grant && (grant.accountId !== session.accountId || grant.clientId !== client.clientId)) grant = undefined;
  if (!isFirstParty(client)) return grant;

  grant ??= new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
  const scope = ctx.oidc.params?.scope;
  if (typeof scope === 'string' && scope) grant.addOIDCScope(scope);
  const claims = [...(ctx.oidc.requestParamClaims ?? [])];
  if (claims.length > 0) grant.addOIDCClaims(claims);
  addRequestedResourceScopes(ctx, grant);
  await grant.save();
  return grant;
}

export function isFirstParty(client: object): boolean {
  return (client as { first_party?: unknown }).first_party === true;
}
