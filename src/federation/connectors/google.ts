import type { Connector } from './connector.ts';
import { clientSecretPost, readIdToken } from './openid-connect.ts';

/** Google: an OpenID provider that vouches for addresses with `email_verified`. */
export const google = {
  kind: 'google',
  preset: { name: 'Google', issuer: () => 'https://accounts.google.com', scopes: 'openid email profile', trustEmailVerified: true, protocol: 'oidc', formPost: false },
  clientAuthentication: clientSecretPost,
  readProfile: readIdToken,
} as const satisfies Connector;
