import type { AdapterPayload } from 'oidc-provider';

/**
 * The customer's own account pages (/account/*) sign in like any first-party app: through the
 * authorization endpoint with PKCE, as this built-in public client. It lives in code, not in the
 * clients table, so it cannot be edited or deleted through the API.
 */
export const ACCOUNT_CLIENT_ID = 'portvakt-account';

export function accountClientMetadata(issuer: string): AdapterPayload {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Account',
    redirect_uris: [`${issuer}/account/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
    first_party: true,
  } as AdapterPayload;
}
