import type { Kysely, Transaction } from 'kysely';
import type { Database, SamlServiceProvidersTable } from '../store/schema.ts';

/** What Portvakt releases to a service provider: a claim, or a customer reference in a data-map system (`references.crm`). */
export type ReleasedAttribute = 'email' | 'email_verified' | 'given_name' | 'family_name' | 'name' | 'phone_number' | `references.${string}`;

/** A SAML service provider as registered. `id` (`saml-…`) is also the client id of the OpenID client it signs in through. */
export interface ServiceProviderRecord {
  id: string;
  entityId: string;
  name: string;
  acsUrls: string[];
  certificate: string | null;
  authnRequestsSigned: boolean;
  nameIdFormat: 'persistent' | 'email';
  attributes: ReleasedAttribute[];
  firstParty: boolean;
  brand: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The built-in OpenID clients of service providers are named by this prefix (oidc/client-adapter.ts). */
export const SERVICE_PROVIDER_ID_PREFIX = 'saml-';

function toRecord(row: SamlServiceProvidersTable): ServiceProviderRecord {
  return {
    id: row.id,
    entityId: row.entity_id,
    name: row.name,
    acsUrls: JSON.parse(row.acs_urls) as string[],
    certificate: row.certificate,
    authnRequestsSigned: row.authn_requests_signed === 1,
    nameIdFormat: row.nameid_format,
    attributes: JSON.parse(row.attributes) as ReleasedAttribute[],
    firstParty: row.first_party === 1,
    brand: row.brand,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(record: ServiceProviderRecord): SamlServiceProvidersTable {
  return {
    id: record.id,
    entity_id: record.entityId,
    name: record.name,
    acs_urls: JSON.stringify(record.acsUrls),
    certificate: record.certificate,
    authn_requests_signed: record.authnRequestsSigned ? 1 : 0,
    nameid_format: record.nameIdFormat,
    attributes: JSON.stringify(record.attributes),
    first_party: record.firstParty ? 1 : 0,
    brand: record.brand,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

type Executor = Kysely<Database> | Transaction<Database>;

/** The `saml_service_providers` table, and only it. */
export class ServiceProviderStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async find(id: string): Promise<ServiceProviderRecord | undefined> {
    if (!id.startsWith(SERVICE_PROVIDER_ID_PREFIX) || id.length > 100) return undefined;
    const row = await this.#db.selectFrom('saml_service_providers').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async findByEntityId(entityId: string): Promise<ServiceProviderRecord | undefined> {
    if (entityId.length > 1024) return undefined;
    const row = await this.#db.selectFrom('saml_service_providers').selectAll().where('entity_id', '=', entityId).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(limit = 500, after?: string): Promise<ServiceProviderRecord[]> {
    let query = this.#db.selectFrom('saml_service_providers').selectAll().orderBy('id').limit(limit);
    if (after) query = query.where('id', '>', after);
    return (await query.execute()).map(toRecord);
  }

  /** False when the entity id is taken by another service provider. */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(work);
  }

  async insert(record: ServiceProviderRecord, db: Executor = this.#db): Promise<boolean> {
    const result = await db.insertInto('saml_service_providers').values(toRow(record)).onConflict((conflict) => conflict.doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async update(record: ServiceProviderRecord, db: Executor = this.#db): Promise<void> {
    const { id, created_at: _created, ...row } = toRow(record);
    await db.updateTable('saml_service_providers').set(row).where('id', '=', id).execute();
  }

  async remove(id: string, db: Executor = this.#db): Promise<boolean> {
    const result = await db.deleteFrom('saml_service_providers').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
