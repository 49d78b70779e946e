import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientRecord, ClientStore } from '../clients/client-store.ts';
import { samlClientMetadata } from '../saml/saml-client.ts';
import { SERVICE_PROVIDER_ID_PREFIX, type ServiceProviderStore } from '../saml/service-provider-store.ts';
import { ACCOUNT_CLIENT_ID, accountClientMetadata } from './account-client.ts';
import { storableKey } from './artifact-adapter.ts';

/**
 * oidc-provider reads clients through this adapter from the `clients` table. `client_secret`
 * carries the stored hash; provider.ts teaches the Client model to compare against a hash.
 */
export function clientMetadata(record: Pick<ClientRecord, 'clientId' | 'secretHash' | 'metadata'>): AdapterPayload {
  const { scope, brand, reference_systems: referenceSystems, segments, ...metadata } = record.metadata;
  return {
    client_id: record.clientId,
    ...(record.secretHash ? { client_secret: record.secretHash } : {}),
    ...metadata,
    ...(scope ? { scope } : {}),
    ...(brand ? { brand } : {}),
    ...(referenceSystems?.length ? { reference_systems: referenceSystems } : {}),
    ...(segments?.length ? { segments } : {}),
  } as AdapterPayload;
}

export class ClientAdapter implements Adapter {
  readonly #repo: ClientStore;
  readonly #issuer: string;
  readonly #serviceProviders: ServiceProviderStore | undefined;

  /** `serviceProviders`: SAML service providers, each signing in through a built-in client of its own (saml/saml-client.ts). */
  constructor(repo: ClientStore, issuer: string, serviceProviders?: ServiceProviderStore) {
    this.#repo = repo;
    this.#issuer = issuer;
    this.#serviceProviders = serviceProviders;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (id === ACCOUNT_CLIENT_ID) return accountClientMetadata(this.#issuer);
    if (!storableKey(id)) return undefined;
    if (this.#serviceProviders && id.startsWith(SERVICE_PROVIDER_ID_PREFIX)) {
      const sp = await this.#serviceProviders.find(id);
      if (sp) return samlClientMetadata(sp, this.#issuer);
    }
    const record = await this.#repo.findCached(id);
    return record && clientMetadata(record);
  }

  // Clients are written by the management API only; dynamic registration is off.
  async upsert(): Promise<void> {
    throw new Error('clients are managed through /api/v1/clients');
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}
