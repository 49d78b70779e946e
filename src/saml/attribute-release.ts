import type { CustomerRecord } from '../customers/customer-store.ts';
import { scopeOfAttribute } from './saml-client.ts';
import type { ReleasedAttribute } from './service-provider-store.ts';

/**
 * The attribute values a service provider gets: only those on its release list, only under a
 * scope the customer granted (or the first-party grant holds), and only values the customer has.
 */
export function releasedAttributes(
  release: readonly ReleasedAttribute[],
  grantedScope: string,
  customer: CustomerRecord,
  references: ReadonlyArray<{ system: string; reference: string }>,
): Array<{ name: string; value: string }> {
  const granted = new Set(grantedScope.split(' '));
  const name = [customer.givenName, customer.familyName].filter(Boolean).join(' ');
  const values: Record<string, string | null> = {
    email: customer.email,
    email_verified: String(customer.emailVerifiedAt !== null),
    given_name: customer.givenName,
    family_name: customer.familyName,
    name: name || null,
    phone_number: customer.phoneVerifiedAt ? customer.phone : null,
    ...Object.fromEntries(references.map((entry) => [`references.${entry.system}`, entry.reference])),
  };
  return release.filter((attribute) => granted.has(scopeOfAttribute(attribute))).flatMap((attribute) => {
    const value = values[attribute];
    return typeof value === 'string' && value.length > 0 ? [{ name: attribute, value }] : [];
  });
}
