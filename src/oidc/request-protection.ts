import type { Configuration } from 'oidc-provider';

type Features = NonNullable<Configuration['features']>;

/**
 * How authorization requests and access tokens are protected, decided here rather than left to
 * oidc-provider's defaults (README, "Pushed authorization requests, DPoP, no request objects"):
 *
 * - PAR (RFC 9126) on: a client may push its authorization parameters to `/request` over the back
 *   channel and send the browser only a `request_uri`. Not required globally; a client registered
 *   with `require_pushed_authorization_requests` must use it.
 * - DPoP (RFC 9449) on: a token asked for with a DPoP proof is bound to the proof's key and is
 *   useless without it; a client registered with `dpop_bound_access_tokens` must send proofs.
 *   Proofs are checked for a fresh `iat` and a `jti` never seen before (replay detection).
 * - JAR (request objects, the `request` parameter) off: nothing uses it, PAR already keeps the
 *   parameters intact, and a JWT parser less faces the internet. A `request` parameter is
 *   refused with `request_not_supported`, and discovery does not advertise request objects.
 */
export const REQUEST_PROTECTION: Pick<Features, 'pushedAuthorizationRequests' | 'dPoP' | 'requestObjects'> = {
  pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
  dPoP: { enabled: true, allowReplay: false },
  requestObjects: { enabled: false },
};

/** The DPoP proof algorithms accepted (openid-client's `randomDPoPKeyPair` makes ES256 keys by default). */
export const DPOP_SIGNING_ALGS: NonNullable<NonNullable<Configuration['enabledJWA']>['dPoPSigningAlgValues']> = ['ES256', 'Ed25519', 'EdDSA'];
