import * as oidc from 'openid-client';
import type { ConnectorConnection, UpstreamAnswer, UpstreamProfile } from './connector.ts';

/** What OpenID connectors share: the code exchanged for an ID token, and the profile read from its claims. */

/** The client secret posted to the token endpoint; without one, no client authentication. */
export async function clientSecretPost(_connection: ConnectorConnection<unknown>, secret: string | null): Promise<oidc.ClientAuth> {
  return secret ? oidc.ClientSecretPost(secret) : oidc.None();
}

/** The code exchanged; openid-client checks the ID token (issuer, audience, signature, nonce) and the state. */
export async function idTokenClaims(answer: UpstreamAnswer<unknown>): Promise<oidc.IDToken> {
  const { verifier, returnState, nonce } = answer.checks;
  const tokens = await oidc.authorizationCodeGrant(answer.config, answer.callbackUrl, { pkceCodeVerifier: verifier, expectedState: returnState, expectedNonce: nonce, idTokenExpected: true });
  return tokens.claims()!;
}

/** The standard claims, as the profile. */
export function profileFromClaims(claims: oidc.IDToken): UpstreamProfile {
  return {
    subject: String(claims.sub),
    email: claims.email,
    emailVerified: claims.email_verified === true,
    givenName: claims.given_name,
    familyName: claims.family_name,
    locale: claims.locale,
  };
}

export async function readIdToken(answer: UpstreamAnswer<unknown>): Promise<UpstreamProfile> {
  return profileFromClaims(await idTokenClaims(answer));
}
