import type { AdapterPayload } from 'oidc-provider';
import type { ReleasedAttribute, ServiceProviderRecord } from './service-provider-store.ts';

/** Where the internal authorization request of a SAML sign-in comes back to. */
export const SAML_CONTINUE_PATH = '/saml/continue';

/** The OpenID scope each released attribute needs: what the consent screen shows, and what must have been granted before it is released. */
export function scopeOfAttribute(attribute: ReleasedAttribute): 'email' | 'profile' | 'phone' | 'references' {
  if (attribute.startsWith('references.')) return 'references';
  if (attribute === 'email' || attribute === 'email_verified') return 'email';
  if (attribute === 'phone_number') return 'phone';
  return 'profile';
}

/** `openid` and the scopes of the release list, in a stable order. */
export function scopeOf(attributes: readonly ReleasedAttribute[]): string {
  const scopes = new Set(attributes.map(scopeOfAttribute));
  return ['openid', ...['email', 'profile', 'phone', 'references'].filter((scope) => scopes.has(scope as never))].join(' ');
}

/**
 * Each service provider signs its customers in through a built-in public OpenID client of its
 * own (client id = the SP's id, PKCE, redirect to /saml/continue): the hosted sign-in, the SSO
 * session and the consent screen are the OpenID ones; first-party SPs skip consent as first-party
 * clients do. It lives beside the SP, not in the clients table (oidc/client-adapter.ts).
 */
export function samlClientMetadata(sp: ServiceProviderRecord, issuer: string): AdapterPayload {
  const systems = sp.attributes.filter((attribute) => attribute.startsWith('references.')).map((attribute) => attribute.slice('references.'.length));
  return {
    client_id: sp.id,
    client_name: sp.name,
    redirect_uris: [`${issuer}${SAML_CONTINUE_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: scopeOf(sp.attributes),
    first_party: sp.firstParty,
    ...(sp.brand ? { brand: sp.brand } : {}),
    ...(systems.length > 0 ? { reference_systems: systems } : {}),
  } as AdapterPayload;
}
