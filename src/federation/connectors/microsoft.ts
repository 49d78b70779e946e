import { z } from 'zod';
import { text } from '../../validation/text.ts';
import { UpstreamError } from '../upstream-error.ts';
import type { Connector } from './connector.ts';
import { clientSecretPost, idTokenClaims, profileFromClaims } from './openid-connect.ts';

/**
 * Microsoft (Entra ID, personal accounts). Its multi-tenant endpoints (`common`, `organizations`,
 * `consumers`) publish the issuer as a template, `…/{tenantid}/v2.0`; openid-client fills it from
 * the token's `tid`. A connection may narrow the tenants to a list. Its `email` claim is not
 * verified by Microsoft (the "nOAuth" problem), so it is never trusted by default.
 */
export const MICROSOFT_MULTI_TENANT = ['common', 'organizations', 'consumers'] as const;

const tenantId = text().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a tenant id (GUID, lowercase)');

const settingsInput = z
  .strictObject({
    tenant: z.union([z.enum(MICROSOFT_MULTI_TENANT), tenantId]).default('common').describe('common, organizations, consumers, or one tenant id'),
    allowed_tenants: z.array(tenantId).min(1).max(100).nullable().default(null).describe("With a multi-tenant setting: only these tenants (the token's tid) may sign in"),
  })
  .describe('kind microsoft: which tenants');

export interface MicrosoftSettings {
  tenant: string;
  allowed_tenants: string[] | null;
}

/** Microsoft's multi-tenant issuers accept any tenant; a connection may narrow that to a list. */
export function microsoftTenantAllowed(settings: MicrosoftSettings | undefined, tid: unknown): boolean {
  const allowed = settings?.allowed_tenants;
  if (!allowed) return true;
  return typeof tid === 'string' && allowed.includes(tid.toLowerCase());
}

export const microsoft = {
  kind: 'microsoft',
  preset: {
    name: 'Microsoft',
    issuer: (settings: MicrosoftSettings | undefined) => `https://login.microsoftonline.com/${settings?.tenant ?? 'common'}/v2.0`,
    scopes: 'openid email profile',
    trustEmailVerified: false,
    protocol: 'oidc',
    formPost: false,
  },
  settings: {
    input: settingsInput,
    output: z.object({ tenant: z.string(), allowed_tenants: z.array(z.string()).nullable() }),
    stored: (input: MicrosoftSettings) => input,
  },
  clientAuthentication: clientSecretPost,
  async readProfile(answer) {
    const claims = await idTokenClaims(answer);
    if (!microsoftTenantAllowed(answer.connection.settings, claims.tid)) {
      throw new UpstreamError('tenant', answer.connection.key, 'the organisation (tenant) is not allowed here');
    }
    return profileFromClaims(claims);
  },
} as const satisfies Connector<MicrosoftSettings, MicrosoftSettings>;
