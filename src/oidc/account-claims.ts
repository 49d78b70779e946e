import type { AccountClaims, FindAccount } from 'oidc-provider';
import type { CustomerRecord } from '../customers/customer-store.ts';

/** Scope → claims released, per OpenID Connect Core §5.4. */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  consents: ['consents'],
  references: ['references'],
  segments: ['segments'],
  address: ['address'],
  attributes: ['attributes'],
  profile: ['name', 'given_name', 'family_name', 'locale', 'birthdate'],
} as const;

export function claimsOf(customer: CustomerRecord): AccountClaims {
  const name = [customer.givenName, customer.familyName].filter(Boolean).join(' ');
  return {
    sub: customer.id,
    email: customer.email,
    email_verified: customer.emailVerifiedAt !== null,
    ...(customer.phone ? { phone_number: customer.phone, phone_number_verified: customer.phoneVerifiedAt !== null } : {}),
    ...(name ? { name } : {}),
    ...(customer.givenName ? { given_name: customer.givenName } : {}),
    ...(customer.familyName ? { family_name: customer.familyName } : {}),
    ...(customer.locale ? { locale: customer.locale } : {}),
  };
}

/** The purposes a customer granted (still valid for the current version), for the `consents` claim. */
export type GrantedConsents = (customerId: string) => Promise<Array<{ purpose: string; version: number }>>;

/**
 * A disabled or deleted customer has no account: tokens for them stop working at userinfo and
 * refresh. The `consents` claim is read from the ledger only when the `consents` scope asks.
 */
export function accountFinder(
  findCustomer: (id: string) => Promise<CustomerRecord | undefined>,
  grantedConsents: GrantedConsents,
  referencesOf: (customerId: string) => Promise<Array<{ system: string; reference: string }>>,
  attributesOf: (customerId: string) => Promise<Record<string, unknown>>,
  segmentsOf: (customerId: string, allowed: readonly string[]) => Promise<string[]>,
): FindAccount {
  return async (ctx, sub) => {
    const customer = await findCustomer(sub);
    if (!customer || customer.status !== 'active') return undefined;
    // The `references` claim carries only the systems the asking client is allowed (client metadata `reference_systems`).
    const allowed = (ctx.oidc?.client as { reference_systems?: unknown } | undefined)?.reference_systems;
    const systems = Array.isArray(allowed) ? new Set(allowed as string[]) : new Set<string>();
    // The `segments` claim likewise carries only the segments the client's metadata lists.
    const listed = (ctx.oidc?.client as { segments?: unknown } | undefined)?.segments;
    const segments = Array.isArray(listed) ? (listed as string[]) : [];
    return {
      accountId: customer.id,
      claims: async (_use, scope) => {
        const scopes = String(scope ?? '').split(' ');
        const references = scopes.includes('references') && systems.size > 0 ? (await referencesOf(customer.id)).filter((entry) => systems.has(entry.system)) : [];
        // One read of the attributes covers address, birthdate and the custom ones; oidc-provider keeps only what was asked.
        const attributes = await attributesOf(customer.id);
        return {
          ...claimsOf(customer),
          ...attributeClaims(attributes),
          ...(scopes.includes('consents') ? { consents: await grantedConsents(customer.id) } : {}),
          ...(references.length > 0 ? { references: Object.fromEntries(references.map((entry) => [entry.system, entry.reference])) } : {}),
          ...(scopes.includes('segments') && segments.length > 0 ? { segments: await segmentsOf(customer.id, segments) } : {}),
        };
      },
    };
  };
}

/** Attribute values as claims: `address` (OpenID Connect Core §5.1.1, with `formatted`), `birthdate`, and the custom ones under `attributes`. */
export function attributeClaims(values: Record<string, unknown>): Omit<AccountClaims, 'sub'> {
  const { address, birthdate, ...custom } = values;
  const parts = address as { street_address: string; postal_code: string; locality: string; country: string } | undefined;
  return {
    ...(parts ? { address: { ...parts, formatted: `${parts.street_address}\n${parts.postal_code} ${parts.locality}\n${parts.country}` } } : {}),
    ...(typeof birthdate === 'string' ? { birthdate } : {}),
    ...(Object.keys(custom).length > 0 ? { attributes: custom } : {}),
  };
}
