import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import { sameSecret } from '../crypto/same-secret.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import type { ApiKeys } from '../operators/api-keys.ts';
import { ROLES, roleScope, type Operator, type Role } from '../operators/operator-roles.ts';

const operators = new WeakMap<FastifyRequest, Operator>();

/** The operator a management request was authenticated as (set by `operatorAuth`). */
export function operatorOf(request: FastifyRequest): Operator {
  const operator = operators.get(request);
  if (!operator) throw new DomainError('unauthorized', 401, 'A valid bearer key is required');
  return operator;
}

/**
 * Who calls the management API, from `Authorization: Bearer …` (before the body is read):
 * - PORTVAKT_ADMIN_KEY (compared in constant time): admin;
 * - an API key `pvk_…`: its role;
 * - an access token a machine client got with client_credentials: the roles its scopes name
 *   (`portvakt:agent` …). Tokens from sign-ins (authorization code) are never accepted here.
 */
export function operatorAuth(deps: { adminKey: string | undefined; keys: ApiKeys; host: ProviderHost }) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.header('www-authenticate', 'Bearer realm="portvakt-management"');
    const presented = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const operator = presented ? await identify(presented, deps) : undefined;
    if (!operator) throw new DomainError('unauthorized', 401, 'A valid bearer key is required');
    operators.set(request, operator);
  };
}

async function identify(presented: string, deps: { adminKey: string | undefined; keys: ApiKeys; host: ProviderHost }): Promise<Operator | undefined> {
  if (deps.adminKey && sameSecret(presented, deps.adminKey)) return { id: 'admin-key', roles: ['admin'], systems: null, consentPurposes: null };
  if (presented.startsWith('pvk_')) return deps.keys.authenticate(presented);
  if (presented.length > 200) return undefined;
  const token = await deps.host.current.ClientCredentials.find(presented).catch(() => undefined);
  if (!token || token.isExpired) return undefined;
  // A token bound to a key (DPoP) or a certificate is only good with that proof, which this API does not check.
  if (token.jkt || token['x5t#S256']) return undefined;
  const client = token.clientId ? await deps.host.current.Client.find(token.clientId).catch(() => undefined) : undefined;
  if (!client) return undefined;
  // Roles count only while the client is still registered with them (its `scope` names them);
  // a client without a scope list is given none, whatever its token says.
  const registered = new Set(String(client.scope ?? '').split(' '));
  const scopes = new Set((token.scope ?? '').split(' '));
  const roles = ROLES.filter((role) => scopes.has(roleScope(role)) && registered.has(roleScope(role))) as Role[];
  if (roles.length === 0) return undefined;
  // A machine client speaks for no system's references: that takes an integration key naming them.
  return { id: `client:${token.clientId}`, roles, systems: [], consentPurposes: null };
}
