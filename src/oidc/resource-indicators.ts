import { errors, type Configuration, type Grant, type KoaContextWithOIDC } from 'oidc-provider';
import type { ResourceServerRecord, ResourceServerStore } from '../resource-servers/resource-server-store.ts';
import { MAX_IDENTIFIER_LENGTH } from '../resource-servers/resource-server.schemas.ts';
import { isProtocolScope } from './protocol-scopes.ts';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;
type ResourceServerInfo = Awaited<ReturnType<NonNullable<ResourceIndicators['getResourceServerInfo']>>>;

/**
 * RFC 8707 resource indicators over the registered resource servers (resource-servers/). A request
 * naming `resource` gets an access token for that API only: `aud` its identifier, its scopes, its
 * lifetime, and an RFC 9068 JWT (signed with the current RS256 key) or an opaque token. Refused with
 * `invalid_target`: an unknown identifier, or a client the resource server does not allow; with
 * `invalid_scope`: a requested scope that is neither Portvakt's own nor one of the named resources'.
 * A request without `resource` is served as before: an opaque token for userinfo.
 */
export function resourceIndicators(store: ResourceServerStore): ResourceIndicators {
  return {
    enabled: true,
    // No `resource` in the request: none is assumed.
    defaultResource: async (_ctx, _client, oneOf) => oneOf,
    // A token request without `resource`, for a grant with `openid`, gets the userinfo token as it
    // always did; the client names the resource at the token endpoint to get that API's token.
    // (Without `openid` the one granted resource is used, oidc-provider's rule.)
    useGrantedResource: async () => false,
    getResourceServerInfo: async (ctx, indicator, client) => {
      // Longer than any registered identifier: refused before it could fill the cache.
      const server = indicator.length <= MAX_IDENTIFIER_LENGTH ? await store.findCachedByIdentifier(indicator) : undefined;
      if (!server) throw new errors.InvalidTarget('resource indicator is not a registered resource server');
      if (!server.allowedClients.includes(client.clientId)) throw new errors.InvalidTarget('this client may not ask for this resource');
      await assertRequestedScopes(ctx, store, server);
      return infoOf(server);
    },
  };
}

/** Access-token lifetimes: a resource server's own when the token is for one, else the defaults. */
export function accessTokenLifetimes(defaults: { AccessToken: number; ClientCredentials: number }) {
  const lifetime = (fallback: number) => (_ctx: KoaContextWithOIDC, token: { resourceServer?: { accessTokenTTL?: number | undefined } | undefined }) =>
    token.resourceServer?.accessTokenTTL ?? fallback;
  return { AccessToken: lifetime(defaults.AccessToken), ClientCredentials: lifetime(defaults.ClientCredentials) };
}

/**
 * oidc-provider would silently drop a scope no named resource defines (and, for
 * client_credentials, Portvakt's own scopes next to a resource); it is refused instead, so a
 * client never mistakes a narrower token for the one it asked for.
 */
async function assertRequestedScopes(ctx: KoaContextWithOIDC, store: ResourceServerStore, server: ResourceServerRecord): Promise<void> {
  const params = (ctx.oidc.params ?? {}) as { scope?: unknown; resource?: unknown; grant_type?: unknown };
  if (typeof params.scope !== 'string' || params.scope === '') return;
  const machine = params.grant_type === 'client_credentials';
  const named = [params.resource].flat().filter((value): value is string => typeof value === 'string');
  const offered = new Set(server.scopes.map((scope) => scope.value));
  for (const other of named) {
    if (other === server.identifier) continue;
    if (other.length > MAX_IDENTIFIER_LENGTH) continue;
    for (const scope of (await store.findCachedByIdentifier(other))?.scopes ?? []) offered.add(scope.value);
  }
  for (const scope of params.scope.split(' ')) {
    if (!scope || offered.has(scope) || (!machine && isProtocolScope(scope))) continue;
    throw new errors.InvalidScope(`scope ${scope.slice(0, 100)} is not a scope of the resource requested`, scope);
  }
}

type IntrospectionPolicy = NonNullable<NonNullable<NonNullable<Configuration['features']>['introspection']>['allowedPolicy']>;

/**
 * Who may introspect a token: the client it was issued to, and for a token issued for a resource
 * server (its `aud`), the clients that resource server names in `introspection_clients` (the API
 * itself, registered as a confidential client). Anyone else learns only `active: false`.
 */
export function introspectionPolicy(store: ResourceServerStore): IntrospectionPolicy {
  return async (_ctx, client, token) => {
    if (token.clientId === client.clientId) return true;
    const audience = (token as { aud?: unknown }).aud;
    if (typeof audience !== 'string' || audience.length > MAX_IDENTIFIER_LENGTH) return false;
    return (await store.findCachedByIdentifier(audience))?.introspectionClients.includes(client.clientId) ?? false;
  };
}

function infoOf(server: ResourceServerRecord): ResourceServerInfo {
  return {
    scope: server.scopes.map((scope) => scope.value).join(' '),
    audience: server.identifier,
    accessTokenTTL: server.accessTokenTtl,
    accessTokenFormat: server.tokenFormat,
    ...(server.tokenFormat === 'jwt' ? { jwt: { sign: { alg: 'RS256' } } } : {}),
  };
}

/**
 * A first-party client skips consent: its grant takes the scopes it asked for of each resource
 * named (only those the resource server defines; getResourceServerInfo refused any other).
 */
export function addRequestedResourceScopes(ctx: KoaContextWithOIDC, grant: Grant): void {
  const requested = String(ctx.oidc.params?.scope ?? '').split(' ').filter(Boolean);
  for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers ?? {})) {
    const scopes = requested.filter((scope) => server.scopes.has(scope));
    if (scopes.length > 0) grant.addResourceScope(indicator, scopes.join(' '));
  }
}
