import type { Connector } from './connector.ts';
import { clientSecretPost, readIdToken } from './openid-connect.ts';

/** Any OpenID provider, found by discovery at the issuer the connection names, with the name it gives its button. */
export const oidc = {
  kind: 'oidc',
  preset: { name: '', issuer: () => null, scopes: 'openid email profile', trustEmailVerified: false, protocol: 'oidc', formPost: false },
  validateNew(value, issue) {
    if (!value.issuer) issue('issuer', 'an oidc connection needs its issuer');
    if (!value.name) issue('name', 'an oidc connection needs a name for its button');
  },
  clientAuthentication: clientSecretPost,
  readProfile: readIdToken,
} as const satisfies Connector;
