import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientRecord, ClientStore } from '../clients/client-store.ts';
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

  constructor(repo: ClientStore, issuer: string) {
    this.#repo = repo;
    this.#issuer = issuer;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (id === ACCOUNT_CLIENT_ID) return accountClientMetadata(this.#issuer);
    if (!storableKey(id)) return undefined;
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
