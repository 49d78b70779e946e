import { DomainError } from '../errors/domain-error.ts';
import type { ClientMetadata, CLIENT_WARNINGS } from './client.schemas.ts';

type AuthMethod = ClientMetadata['token_endpoint_auth_method'];
export interface ClientWarning {
  code: (typeof CLIENT_WARNINGS)[number];
  message: string;
}

/** A native app cannot keep a secret (RFC 8252 §8.5): without an auth method it is public. */
export function defaultAuthMethod(applicationType: ClientMetadata['application_type']): AuthMethod {
  return applicationType === 'native' ? 'none' : 'client_secret_basic';
}

const refuse = (description: string) => new DomainError('invalid_client_metadata', 400, description);

/**
 * Refuses what is plainly unsafe. `explicitAuth`: the request named the auth method (or the client
 * already was a confidential native one), so a confidential native client is what was asked for.
 */
export function assertSafeClient(metadata: ClientMetadata, explicitAuth: boolean): void {
  const confidential = metadata.token_endpoint_auth_method !== 'none';
  const grants = metadata.grant_types;
  if (!confidential && grants.includes('client_credentials')) {
    throw refuse('client_credentials needs a confidential client: a public one would get tokens for anyone who knows its client_id');
  }
  if (metadata.application_type !== 'native') return;
  if (grants.includes('client_credentials')) {
    throw refuse('a native client may not use client_credentials: a secret shipped in an app proves nothing about who calls');
  }
  if (confidential && !explicitAuth) {
    throw refuse('a native client is public (token_endpoint_auth_method none); a confidential one must name its token_endpoint_auth_method');
  }
  if (confidential && !grants.includes('authorization_code')) {
    throw refuse('a confidential native client must use authorization_code, where PKCE is required');
  }
}

/** Where plain http is tolerated (a developer's machine): redirect URIs warn elsewhere, SAML ACS URLs are refused elsewhere. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]']);

function plainHttpElsewhere(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/** The settings kept although they weaken safety, each with a stable code (README, client registration). */
export function clientWarnings(metadata: ClientMetadata): ClientWarning[] {
  const warnings: ClientWarning[] = [];
  if (metadata.application_type === 'native' && metadata.token_endpoint_auth_method !== 'none') {
    warnings.push({ code: 'confidential_native_client', message: 'A secret shipped in an app can be extracted from it: it does not prove which app calls.' });
  }
  if (metadata.token_endpoint_auth_method === 'client_secret_post') {
    warnings.push({ code: 'client_secret_post', message: 'The secret travels in the request body, where logs keep it more often than the Authorization header; prefer client_secret_basic.' });
  }
  if ([...metadata.redirect_uris, ...metadata.post_logout_redirect_uris].some(plainHttpElsewhere)) {
    warnings.push({ code: 'http_redirect_uri', message: 'A redirect URI uses plain http on a host other than 127.0.0.1 or [::1]: codes and state cross the network unencrypted.' });
  }
  return warnings;
}
