import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { ClientStore } from '../clients/client-store.ts';
import type { ServiceProviderStore } from '../saml/service-provider-store.ts';
import { secretMatches } from '../crypto/secret-hash.ts';
import type { CustomerRecord } from '../customers/customer-store.ts';
import { LOCALES } from '../i18n/locale.ts';
import { BRAND_KEY_PATTERN } from '../validation/brand-key.ts';
import { accountFinder, SCOPE_CLAIMS, type GrantedConsents } from './account-claims.ts';
import type { ArtifactStorage } from './artifact-storage.ts';
import { ACR_VALUES, interactionPolicyWithStepUp } from './authentication-context.ts';
import { teachBackchannelLogoutThroughOutbox, type LogoutEnqueuer } from './backchannel-logout.ts';
import { ClientAdapter } from './client-adapter.ts';
import { loadExistingGrant } from './first-party-grant.ts';
import { brandFirstVisit } from './brand-first-visit.ts';
import { PROTOCOL_SCOPES } from './protocol-scopes.ts';
import type { PurposeRequests } from './purpose-requests.ts';
import { DPOP_SIGNING_ALGS, REQUEST_PROTECTION } from './request-protection.ts';
import { accessTokenLifetimes, introspectionPolicy, resourceIndicators } from './resource-indicators.ts';
import type { ResourceServerStore } from '../resource-servers/resource-server-store.ts';
import type { PrivateJwk } from './signing-keys.ts';

/** Token lifetimes in seconds. ID tokens bound how long a retired signing key stays published. */
export const TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 3600,
  IdToken: 3600,
  Interaction: 3600,
  Session: 14 * 24 * 3600,
  RefreshToken: 30 * 24 * 3600,
  Grant: 30 * 24 * 3600,
} as const;

export interface ProviderDeps {
  issuer: string;
  artifacts: ArtifactStorage;
  clients: ClientStore;
  /** SAML service providers: each signs in through a built-in client of its own. */
  serviceProviders?: ServiceProviderStore;
  /** The APIs a `resource` parameter may name (RFC 8707), and how their tokens look. */
  resourceServers: ResourceServerStore;
  findCustomer: (id: string) => Promise<CustomerRecord | undefined>;
  grantedConsents: GrantedConsents;
  /** The customer's ids in other systems, for the `references` claim. */
  referencesOf: (customerId: string) => Promise<Array<{ system: string; reference: string }>>;
  /** Whether a signed-in customer is at a brand for the first time, having used the group account elsewhere. */
  brandNoticeDue: (accountId: string, brand: string | null) => Promise<boolean>;
  /** Of the segments a client may learn (its metadata `segments`), those the customer is in while profiling is consented: the `segments` claim. */
  segmentsOf: (customerId: string, allowed: readonly string[]) => Promise<string[]>;
  /** The customer's profile attributes, for `address`, `birthdate` and `attributes`. */
  attributesOf: (customerId: string) => Promise<Record<string, unknown>>;
  purposeRequests: PurposeRequests;
  cookieKeys: string[];
  /** The pages oidc-provider draws itself (errors, logout, the device flow): the edge's templates. */
  pages: ProviderPages;
  /** Back-channel logout messages go to the outbox instead of out at sign-out (backchannel-logout.ts). */
  backchannelLogout: LogoutEnqueuer;
}

type Features = NonNullable<Configuration['features']>;
type DeviceFlow = NonNullable<Features['deviceFlow']>;
type Logout = NonNullable<Features['rpInitiatedLogout']>;

/** oidc-provider's own page hooks, drawn by `pages/oidc-provider.page.ts` in our layout and language. */
export interface ProviderPages {
  renderError: NonNullable<Configuration['renderError']>;
  logoutSource: NonNullable<Logout['logoutSource']>;
  postLogoutSuccessSource: NonNullable<Logout['postLogoutSuccessSource']>;
  userCodeInputSource: NonNullable<DeviceFlow['userCodeInputSource']>;
  userCodeConfirmSource: NonNullable<DeviceFlow['userCodeConfirmSource']>;
  deviceSuccessSource: NonNullable<DeviceFlow['successSource']>;
}

export function createProvider(deps: ProviderDeps, jwks: PrivateJwk[]): Provider {
  const clientAdapter = new ClientAdapter(deps.clients, deps.issuer, deps.serviceProviders);
  const configuration: Configuration = {
    adapter: (name: string) => (name === 'Client' ? clientAdapter : deps.artifacts.adapter(name)),
    findAccount: accountFinder(deps.findCustomer, deps.grantedConsents, deps.referencesOf, deps.attributesOf, deps.segmentsOf),
    // acr and amr go into every ID token (listed under openid); acr_values_supported is published.
    claims: { ...SCOPE_CLAIMS, openid: ['sub', 'acr', 'amr'], acr: null, amr: null, auth_time: null, sid: null, iss: null },
    acrValues: ACR_VALUES,
    extraParams: {
      purposes: deps.purposeRequests.validate,
      // guest={claim token}: claims a checkout's guest (guests/guests.ts); only its shape is checked here.
      guest: async (_ctx: KoaContextWithOIDC, value: string | undefined) => {
        if (value !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(value)) throw new errors.InvalidRequest('guest must be a claim token');
      },
    },
    // The ID token carries the claims of the granted scopes (email, email_verified, name …), as
    // Auth0 and Keycloak do and relying parties expect, not only `sub` with the rest at userinfo.
    conformIdTokenClaims: false,
    // portvakt:{role}: machine clients acting on the management API (client_credentials only).
    scopes: [...PROTOCOL_SCOPES],
    jwks: { keys: jwks },
    cookies: { keys: deps.cookieKeys, long: { httpOnly: true, sameSite: 'lax' }, short: { httpOnly: true, sameSite: 'lax' } },
    // Code flow only (RFC 9700 §2.1.2: no implicit), PKCE S256 for every client, public or not.
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      introspectionSigningAlgValues: ['RS256', 'ES256'],
      authorizationSigningAlgValues: ['RS256', 'ES256'],
      dPoPSigningAlgValues: DPOP_SIGNING_ALGS,
      clientAuthSigningAlgValues: ['RS256', 'ES256', 'PS256'],
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: {
      properties: ['first_party', 'brand', 'reference_systems', 'segments'],
      validator(_ctx, key, value) {
        if (key === 'first_party' && value !== undefined && typeof value !== 'boolean') {
          throw new TypeError('first_party must be a boolean');
        }
        if (key === 'reference_systems' && value !== undefined && (!Array.isArray(value) || !value.every((system) => typeof system === 'string'))) {
          throw new TypeError('reference_systems must be a list of system keys');
        }
        if (key === 'segments' && value !== undefined && (!Array.isArray(value) || !value.every((segment) => typeof segment === 'string'))) {
          throw new TypeError('segments must be a list of segment keys');
        }
        if (key === 'brand' && value !== undefined && (typeof value !== 'string' || !BRAND_KEY_PATTERN.test(value))) {
          throw new TypeError('brand must be a brand key');
        }
      },
    },
    features: {
      // PAR and DPoP on, request objects (JAR) off: see request-protection.ts.
      ...REQUEST_PROTECTION,
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // A client may ask for single claims (address at checkout), which progressive profiling then asks for.
      claimsParameter: {
        enabled: true,
        // The claims parameter picks among the claims of the scopes asked for; it never widens them
        // (a client limited to `openid email` cannot ask for the address this way).
        assertClaimsParameter: async (ctx: KoaContextWithOIDC, parameter: object) => {
          const claims = parameter as Record<string, unknown>;
          const scopes = String(ctx.oidc.params?.scope ?? '').split(' ');
          const allowed = new Set<string>(['sub', 'auth_time', 'acr', 'amr', 'sid', 'iss', ...scopes.flatMap((scope) => [...((SCOPE_CLAIMS as Record<string, readonly string[]>)[scope] ?? [])])]);
          for (const container of ['userinfo', 'id_token'] as const) {
            const members = claims[container];
            if (!members || typeof members !== 'object') continue;
            for (const [name, value] of Object.entries(members)) {
              if (value !== null && (typeof value !== 'object' || Array.isArray(value))) throw new errors.InvalidRequest(`claims.${container} members must be null or objects`);
              if (!allowed.has(name)) throw new errors.InvalidRequest(`claims.${container}.${name.slice(0, 64)} is not a claim of the scopes requested`);
            }
          }
        },
      },
      introspection: {
        enabled: true,
        // A client may introspect the tokens issued to it; a resource server's introspection
        // clients also those issued for it (resource-indicators.ts).
        allowedPolicy: introspectionPolicy(deps.resourceServers),
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      resourceIndicators: resourceIndicators(deps.resourceServers),
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: deps.pages.logoutSource, postLogoutSuccessSource: deps.pages.postLogoutSuccessSource },
      // RFC 8628 for TVs and kiosks: the code is typed at /device on another screen. Base-20
      // consonants (no vowels, so no words), 8 characters shown as XXXX-XXXX.
      deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****', userCodeInputSource: deps.pages.userCodeInputSource, userCodeConfirmSource: deps.pages.userCodeConfirmSource, successSource: deps.pages.deviceSuccessSource },
    },
    discovery: { ui_locales_supported: [...LOCALES], claims_locales_supported: [...LOCALES] },
    interactions: { policy: interactionPolicyWithStepUp([deps.purposeRequests.check(), brandFirstVisit(deps.brandNoticeDue)]), url: (_ctx, interaction) => `/login/${interaction.uid}` },
    loadExistingGrant,
    // A refresh token whenever the client may use the refresh_token grant; it rotates on every
    // use, and a rotated-out token presented again revokes the whole grant (reuse detection).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: { ...TTL, ...accessTokenLifetimes(TTL) },
    renderError: deps.pages.renderError,
    clientBasedCORS: (_ctx, origin, client) =>
      origin !== 'null' && (client.redirectUris?.some((uri) => safeOrigin(uri) === origin) ?? false),
  };

  const provider = new Provider(deps.issuer, configuration);
  // X-Forwarded-* are read as the edge rewrites them (provider.routes.ts pinToIssuer): the
  // issuer's scheme and host, the client address Fastify took from trusted proxies only.
  provider.proxy = true;
  teachHashedClientSecrets(provider);
  teachBackchannelLogoutThroughOutbox(provider, deps.backchannelLogout);
  return provider;
}

/**
 * oidc-provider compares a presented client secret with the stored one verbatim. We store only
 * a SHA-256 digest (crypto/secret-hash.ts), so the comparison hashes the presented secret first.
 * There is no configuration hook for this; the Client model's method is the documented seam.
 */
function teachHashedClientSecrets(provider: Provider): void {
  const proto = provider.Client.prototype as unknown as { compareClientSecret(actual: string): boolean; clientSecret?: string };
  proto.compareClientSecret = function compareHashed(this: { clientSecret?: string }, actual: string) {
    return typeof this.clientSecret === 'string' && secretMatches(actual, this.clientSecret);
  };
}

/** Only http(s) redirect URIs name a web origin; custom schemes give "null", which must match nothing. */
function safeOrigin(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

