import type { AttributeDefinition, ProfileSchema } from './profile-schema.ts';
import type { CustomerAttributes } from './customer-attributes.ts';

/** What an authorization request asks for: its scopes, and the claims its `claims` parameter names. */
export interface RequestedClaims {
  scopes: Set<string>;
  claims: Set<string>;
}

/** Reads `scope` and the `claims` parameter (OpenID Connect Core §5.5) of an authorization request. */
export function requestedClaims(params: Record<string, unknown>): RequestedClaims {
  const scopes = new Set(String(params.scope ?? '').split(' ').filter(Boolean));
  const claims = new Set<string>();
  if (typeof params.claims === 'string') {
    try {
      const parsed = JSON.parse(params.claims) as Record<string, unknown>;
      for (const member of ['userinfo', 'id_token']) {
        const names = parsed?.[member];
        if (names && typeof names === 'object') for (const name of Object.keys(names)) claims.add(name);
      }
    } catch {
      // oidc-provider refuses a malformed claims parameter before any page is shown.
    }
  }
  return { scopes, claims };
}

/**
 * Progressive profiling: the attributes to ask at this sign-in, just those, once. An attribute is
 * due when the customer has no value and either it is asked at sign-up, or it is asked when
 * requested and this client requests it: `address` by scope `address` or the claim, `birthdate`
 * by the claim, a custom one by scope `attributes`, the `attributes` claim or its own name.
 */
export class ProgressiveProfiling {
  readonly #schema: ProfileSchema;
  readonly #attributes: CustomerAttributes;

  constructor(schema: ProfileSchema, attributes: CustomerAttributes) {
    this.#schema = schema;
    this.#attributes = attributes;
  }

  async due(customerId: string, requested: RequestedClaims): Promise<AttributeDefinition[]> {
    const schema = await this.#schema.list();
    const candidates = schema.filter((attribute) => attribute.ask === 'sign_up' || (attribute.ask === 'when_requested' && isRequested(attribute, requested)));
    if (candidates.length === 0) return [];
    const values = await this.#attributes.of(customerId);
    return candidates.filter((attribute) => values[attribute.key] === undefined);
  }
}

function isRequested(attribute: AttributeDefinition, requested: RequestedClaims): boolean {
  if (requested.claims.has(attribute.key)) return true;
  if (attribute.key === 'address') return requested.scopes.has('address');
  if (attribute.builtIn) return false;
  return requested.scopes.has('attributes') || requested.claims.has('attributes');
}
