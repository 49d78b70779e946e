/** The most users one page holds (`count` above it is capped, RFC 7644 §3.4.2.4). */
export const MAX_RESULTS = 200;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** What this service provider supports (RFC 7643 §5): PATCH, filtering by userName and externalId, no bulk, sort, ETags or password change endpoint. */
export function serviceProviderConfig(base: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: `${base}/api/v1/openapi.json`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Integration key', description: 'A Portvakt integration key naming one system: Authorization: Bearer pvk_…', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/scim/v2/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'User', name: 'User', endpoint: '/Users', description: 'Portvakt customers', schema: USER, meta: { resourceType: 'ResourceType', location: `${base}/scim/v2/ResourceTypes/User` } }];
}

const attribute = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra });
const multi = (name: string) => attribute(name, { type: 'complex', multiValued: true, subAttributes: [attribute('value'), attribute('primary', { type: 'boolean' })] });

/** The User schema (RFC 7643 §4.1) as far as Portvakt keeps it. */
export const schemas = [
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: USER,
    name: 'User',
    description: 'A Portvakt customer: userName is the e-mail address they sign in with',
    attributes: [
      attribute('userName', { required: true, uniqueness: 'server' }),
      attribute('externalId', { caseExact: true }),
      attribute('name', { type: 'complex', subAttributes: [attribute('givenName'), attribute('familyName')] }),
      multi('emails'),
      multi('phoneNumbers'),
      attribute('active', { type: 'boolean' }),
      attribute('password', { mutability: 'writeOnly', returned: 'never' }),
    ],
    meta: { resourceType: 'Schema', location: `/scim/v2/Schemas/${USER}` },
  },
];
