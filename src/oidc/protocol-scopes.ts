import { ROLE_SCOPES } from '../operators/operator-roles.ts';
/** An app's access token with it fetches the customer's member code (account/member.routes.ts). */
const MEMBER_CODE_SCOPE = 'member_code';
import { SCOPE_CLAIMS } from './account-claims.ts';

/**
 * The scopes Portvakt itself defines (OpenID Connect's and the management roles'). Any other scope
 * in a request belongs to a resource server; a resource server may not define one of these.
 */
export const PROTOCOL_SCOPES: readonly string[] = ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS).filter((scope) => scope !== 'openid'), MEMBER_CODE_SCOPE, ...ROLE_SCOPES];

export function isProtocolScope(scope: string): boolean {
  return PROTOCOL_SCOPES.includes(scope) || scope.startsWith('portvakt:');
}
