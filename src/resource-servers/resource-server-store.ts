import type { Kysely, Transaction } from 'kysely';
import type { ReadCache } from '../store/change-notices.ts';
import type { Database, ResourceServersTable } from '../store/schema.ts';

export interface ResourceScope {
  value: string;
  description?: string | undefined;
}

export interface ResourceServerRecord {
  id: string;
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  tokenFormat: 'jwt' | 'opaque';
  accessTokenTtl: number;
  allowedClients: string[];
  introspectionClients: string[];
  version: number;
  createdAt: number;
  updatedAt: number;
}

function toRecord(row: ResourceServersTable): ResourceServerRecord {
  return {
    id: row.id,
    identifier: row.identifier,
    name: row.name,
    scopes: JSON.parse(row.scopes) as ResourceScope[],
    tokenFormat: row.token_format === 'opaque' ? 'opaque' : 'jwt',
    accessTokenTtl: Number(row.access_token_ttl),
    allowedClients: JSON.parse(row.allowed_clients) as string[],
    introspectionClients: JSON.parse(row.introspection_clients) as string[],
    version: Number(row.version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toRow(record: ResourceServerRecord): ResourceServersTable {
  return {
    id: record.id,
    identifier: record.identifier,
    name: record.name,
    scopes: JSON.stringify(record.scopes),
    token_format: record.tokenFormat,
    access_token_ttl: record.accessTokenTtl,
    allowed_clients: JSON.stringify(record.allowedClients),
    introspection_clients: JSON.stringify(record.introspectionClients),
    version: record.version,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

type Executor = Kysely<Database> | Transaction<Database>;

/** The `resource_servers` table (its one writer), with a cache by identifier for the token endpoints. */
export class ResourceServerStore {
  readonly #db: Kysely<Database>;
  readonly #cache: ReadCache<ResourceServerRecord> | undefined;

  /** `cache` (keyed by identifier) serves the lookup oidc-provider makes for every `resource` parameter. */
  constructor(db: Kysely<Database>, cache?: ReadCache<ResourceServerRecord>) {
    this.#db = db;
    this.#cache = cache;
  }

  /** The lookup of every protocol request naming a resource: cached, forgotten on every node when it changes. */
  async findCachedByIdentifier(identifier: string): Promise<ResourceServerRecord | undefined> {
    return this.#cache ? this.#cache.get(identifier, (key) => this.findByIdentifier(key)) : this.findByIdentifier(identifier);
  }

  /** After a change committed: every node reads the resource server afresh. */
  changed(identifier: string): void {
    this.#cache?.changed(identifier);
  }

  async find(id: string): Promise<ResourceServerRecord | undefined> {
    const row = await this.#db.selectFrom('resource_servers').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async findByIdentifier(identifier: string): Promise<ResourceServerRecord | undefined> {
    const row = await this.#db.selectFrom('resource_servers').selectAll().where('identifier', '=', identifier).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(limit: number, after?: string): Promise<ResourceServerRecord[]> {
    let query = this.#db.selectFrom('resource_servers').selectAll().orderBy('id').limit(limit);
    if (after) query = query.where('id', '>', after);
    return (await query.execute()).map(toRecord);
  }

  /** Runs `work` in one transaction (the change and its audit entry commit together). */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(work);
  }

  async insert(record: ResourceServerRecord, db: Executor = this.#db): Promise<void> {
    await db.insertInto('resource_servers').values(toRow(record)).execute();
  }

  /** Writes `record` over the version it was read at; false when that version is gone or changed. */
  async update(record: ResourceServerRecord, db: Executor = this.#db): Promise<boolean> {
    const { id, identifier: _identifier, created_at: _created, version, ...changes } = toRow(record);
    const result = await db
      .updateTable('resource_servers')
      .set({ ...changes, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Deletes the resource server; answers its identifier, or undefined when there was none. */
  async delete(id: string, db: Executor = this.#db): Promise<string | undefined> {
    const row = await db.deleteFrom('resource_servers').where('id', '=', id).returning('identifier').executeTakeFirst();
    return row?.identifier;
  }
}
