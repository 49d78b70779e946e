import { DATA_CATEGORIES, type DataCategory } from '../customers/customer-data.ts';
import type { Recipient } from '../privacy/data-map.ts';
import type { ReleasedAttribute, ServiceProviderStore } from './service-provider-store.ts';

function categoryOf(attribute: ReleasedAttribute): DataCategory {
  if (attribute.startsWith('references.')) return 'external_references';
  if (attribute === 'email' || attribute === 'email_verified' || attribute === 'phone_number') return 'contact';
  return 'identity';
}

/**
 * The SAML service providers as data-map recipients: every one receives an identifier of the
 * customer (the pairwise NameID, or the e-mail address), and the categories of its release.
 */
export async function samlRecipients(store: ServiceProviderStore): Promise<Recipient[]> {
  const providers = await store.list();
  return providers.map((sp) => {
    const categories = new Set<DataCategory>([sp.nameIdFormat === 'email' ? 'contact' : 'identity', ...sp.attributes.map(categoryOf)]);
    return { kind: 'saml_service_provider', key: sp.id, name: sp.name, receives: (Object.keys(DATA_CATEGORIES) as DataCategory[]).filter((category) => categories.has(category)), system: null, releases: [...sp.attributes] };
  });
}
