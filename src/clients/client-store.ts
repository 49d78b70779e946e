import type { Kysely, Transaction } from 'kysely';
import type { ReadCache } from '../store/change-notices.ts';
import type { ClientsTable, Database } from '../store/schema.ts';
import type { ClientMetadata } from './client.schemas.ts';

export interface ClientRecord {
  clientId: string;
  secretHash: string | null;
  metadata: ClientMetadata;
  version: number;
  createdAt: number;
  updatedAt: number;
}

function toRecord(row: ClientsTable): ClientRecord {
  return {
    clientId: row.client_id,
    secretHash: row.client_secret_hash,
    metadata: JSON.parse(row.metadata) as ClientMetadata,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(record: ClientRecord): ClientsTable {
  return {
    client_id: record.clientId,
    client_secret_hash: record.secretHash,
    metadata: JSON.stringify(record.metadata),
    first_party: record.metadata.first_party ? 1 : 0,
    version: record.version,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

type Executor = Kysely<Database> | Transaction<Database>;

export class ClientStore {
  readonly #db: Kysely<Database>;
  readonly #cache: ReadCache<ClientRecord> | undefined;

  /** `cache` serves the lookup oidc-provider makes on every protocol request. */
  constructor(db: Kysely<Database>, cache?: ReadCache<ClientRecord>) {
    this.#db = db;
    this.#cache = cache;
  }

  /** The lookup of every protocol request: cached, forgotten on every node when the client changes. */
  async findCached(clientId: string): Promise<ClientRecord | undefined> {
    return this.#cache ? this.#cache.get(clientId, (id) => this.find(id)) : this.find(clientId);
  }

  /** After a change to the client committed: every node reads it afresh. */
  changed(clientId: string): void {
    this.#cache?.changed(clientId);
  }

  /** Read from the database (the management API changes what it read, by version); `db` may be the caller's transaction. */
  async find(clientId: string, db: Executor = this.#db): Promise<ClientRecord | undefined> {
    const row = await db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(limit: number, after?: string): Promise<ClientRecord[]> {
    let query = this.#db.selectFrom('clients').selectAll().orderBy('client_id').limit(limit);
    if (after) query = query.where('client_id', '>', after);
    return (await query.execute()).map(toRecord);
  }

  /** Runs `work` in one transaction (the change and its audit entry commit together). */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(work);
  }

  async insert(record: ClientRecord, db: Executor = this.#db): Promise<void> {
    await db.insertInto('clients').values(toRow(record)).execute();
  }

  /** Writes `record` over the version it was read at; false when that version is gone or changed. */
  async update(record: ClientRecord, db: Executor = this.#db): Promise<boolean> {
    const { client_id: clientId, created_at: _created, version, ...changes } = toRow(record);
    const result = await db
      .updateTable('clients')
      .set({ ...changes, version: version + 1 })
      .where('client_id', '=', clientId)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(clientId: string, db: Executor = this.#db): Promise<boolean> {
    const result = await db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
