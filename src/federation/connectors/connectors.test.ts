import { describe, expect, it } from 'vitest';
import { metaEndpoints } from './meta.ts';
import { microsoftTenantAllowed } from './microsoft.ts';
import { CONNECTORS } from './registry.ts';

describe('connection presets', () => {
  it('name the providers\' own issuers; Microsoft\'s carries the tenant', () => {
    expect(CONNECTORS.google.preset.issuer()).toBe('https://accounts.google.com');
    expect(CONNECTORS.apple.preset.issuer()).toBe('https://appleid.apple.com');
    expect(CONNECTORS.microsoft.preset.issuer(undefined)).toBe('https://login.microsoftonline.com/common/v2.0');
    expect(CONNECTORS.microsoft.preset.issuer({ tenant: 'consumers', allowed_tenants: null })).toBe('https://login.microsoftonline.com/consumers/v2.0');
    expect(CONNECTORS.oidc.preset.issuer()).toBeNull();
  });

  it('trust address verification only from providers that verify addresses', () => {
    expect([CONNECTORS.google.preset.trustEmailVerified, CONNECTORS.apple.preset.trustEmailVerified, CONNECTORS.microsoft.preset.trustEmailVerified, CONNECTORS.meta.preset.trustEmailVerified, CONNECTORS.oidc.preset.trustEmailVerified]).toEqual([true, true, false, false, false]);
  });

  it('build Facebook Login endpoints for the API version unless a connection names its own', () => {
    expect(metaEndpoints(undefined)).toEqual({ authorization: 'https://www.facebook.com/v21.0/dialog/oauth', token: 'https://graph.facebook.com/v21.0/oauth/access_token', me: 'https://graph.facebook.com/v21.0/me' });
    expect(metaEndpoints({ api_version: 'v22.0', endpoints: null }).me).toBe('https://graph.facebook.com/v22.0/me');
    const own = { authorization: 'https://proxy/a', token: 'https://proxy/t', me: 'https://proxy/m' };
    expect(metaEndpoints({ api_version: 'v21.0', endpoints: own })).toEqual(own);
  });

  it('let every Microsoft tenant in unless the connection lists some', () => {
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    expect(microsoftTenantAllowed(undefined, 'anything')).toBe(true);
    const settings = { tenant: 'organizations', allowed_tenants: [tenant] };
    expect(microsoftTenantAllowed(settings, tenant)).toBe(true);
    expect(microsoftTenantAllowed(settings, tenant.toUpperCase())).toBe(true);
    expect(microsoftTenantAllowed(settings, '00000000-0000-0000-0000-000000000001')).toBe(false);
    expect(microsoftTenantAllowed(settings, undefined)).toBe(false);
  });
});
