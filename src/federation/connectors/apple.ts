import { importPKCS8, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { DomainError } from '../../errors/domain-error.ts';
import { text } from '../../validation/text.ts';
import type { Connector, ConnectorConnection, UpstreamAnswer, UpstreamProfile } from './connector.ts';
import { idTokenClaims, profileFromClaims } from './openid-connect.ts';

/**
 * Sign in with Apple: answers with `response_mode=form_post`, wants a client secret that is a JWT
 * signed with the team's key (the key is what is sealed as the connection's secret), sends the
 * name only on the first sign-in (in a `user` form field, not in the ID token), and writes
 * `email_verified` as the string "true".
 */

/** Apple accepts client secrets valid up to six months; ours live an hour and are minted with each configuration. */
const APPLE_SECRET_SECONDS = 3600;

const settingsInput = z
  .strictObject({
    team_id: text().regex(/^[A-Z0-9]{10}$/, 'the 10-character Apple team id'),
    key_id: text().regex(/^[A-Z0-9]{10}$/, 'the 10-character id of the Sign in with Apple key'),
    private_key: text().min(100).max(4000).describe('The key file (.p8, PEM) Apple gave; kept sealed, never returned'),
  })
  .describe('kind apple: the client secret is a JWT signed with this key');

export type AppleSettingsInput = z.infer<typeof settingsInput>;

export interface AppleSettings {
  team_id: string;
  key_id: string;
}

export const apple = {
  kind: 'apple',
  preset: { name: 'Apple', issuer: () => 'https://appleid.apple.com', scopes: 'openid email name', trustEmailVerified: true, protocol: 'oidc', formPost: true },
  settings: {
    input: settingsInput,
    output: z.object({ team_id: z.string(), key_id: z.string() }),
    stored: (input: AppleSettingsInput): AppleSettings => ({ team_id: input.team_id, key_id: input.key_id }),
  },
  /** The name, at the first sign-in only. */
  postedFields: ['user'],
  clientSecretNote: 'Apple: leave out, give `apple.private_key`',
  validate(value, issue) {
    if (value.client_secret) issue('client_secret', 'Apple takes a signed JWT: give apple.private_key instead');
  },
  validateNew(value, issue) {
    if (!value.settings) issue('apple', 'an apple connection needs team_id, key_id and private_key');
  },
  /** The private key is kept (sealed) as the secret: the client secret JWT is signed with it. */
  secretFrom: (clientSecret: string | null | undefined, settings: AppleSettingsInput | undefined) => (settings ? settings.private_key : clientSecret),
  async verifySecret(secret) {
    // The key must be an EC P-256 private key in PKCS#8 PEM (Apple's .p8 file).
    await importPKCS8(secret ?? '', 'ES256').catch(() => {
      throw new DomainError('invalid_body', 400, 'apple.private_key: not the PEM of an EC P-256 key (the .p8 file Apple gave)');
    });
  },
  clientAuthentication: async (connection: ConnectorConnection<AppleSettings>, secret: string | null) => oidc.ClientSecretPost(await appleClientSecret(connection, secret ?? '')),
  readProfile: readAppleProfile,
} as const satisfies Connector<AppleSettingsInput, AppleSettings>;

/**
 * Sign in with Apple's client secret: a JWT (ES256) with the key id in its header, the team as
 * issuer, the service id as subject and Apple as audience, signed with the team's private key.
 */
export async function appleClientSecret(connection: ConnectorConnection<AppleSettings>, privateKeyPem: string, now = Date.now()): Promise<string> {
  const settings = connection.settings;
  if (!settings) throw new DomainError('invalid_body', 400, 'apple: team_id and key_id are missing');
  const key = await importPKCS8(privateKeyPem, 'ES256');
  const iat = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: settings.key_id })
    .setIssuer(settings.team_id)
    .setSubject(connection.clientId)
    .setAudience('https://appleid.apple.com')
    .setIssuedAt(iat)
    .setExpirationTime(iat + APPLE_SECRET_SECONDS)
    .sign(key);
}

async function readAppleProfile(answer: UpstreamAnswer<AppleSettings>): Promise<UpstreamProfile> {
  const claims = await idTokenClaims(answer);
  // Apple sends the name once, at the first sign-in, in the `user` form field rather than the ID token.
  const user = appleUserField(answer.callbackUrl.searchParams.get('user'));
  return {
    ...profileFromClaims(claims),
    // Apple writes the boolean as a string.
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    givenName: claims.given_name ?? user?.firstName,
    familyName: claims.family_name ?? user?.lastName,
  };
}

function appleUserField(value: string | null): { firstName?: unknown; lastName?: unknown } | undefined {
  if (!value || value.length > 2000) return undefined;
  try {
    const parsed = JSON.parse(value) as { name?: { firstName?: unknown; lastName?: unknown } };
    return typeof parsed.name === 'object' && parsed.name !== null ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}
