import type { Kysely } from 'kysely';
import { conflict, invalid, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import type { DataCategory } from '../customers/customer-data.ts';
import type { Database, StoresTable } from '../store/schema.ts';

export interface Store {
  key: string;
  name: string;
  /** The brand (chain) the store belongs to; its tills take member codes of that brand only. null: the group. */
  brand: string | null;
  /** The data-map system that reports the store's receipts. */
  system: string;
  /** What a till may learn about the customer in front of it: their references in these systems, and these segments. */
  referenceSystems: string[];
  segments: string[];
  createdAt: number;
  updatedAt: number;
}

/** What a store's tills receive of a customer they identify: the id always, references and segments as released. */
export function releasedCategories(store: Store): DataCategory[] {
  return ['identity', ...(store.referenceSystems.length > 0 ? (['external_references'] as const) : []), ...(store.segments.length > 0 ? (['activity'] as const) : [])];
}

export type StoreInput = Pick<Store, 'name' | 'brand' | 'system' | 'referenceSystems' | 'segments'>;

/**
 * The group's stores. A store's tills (API keys with the role `store`) learn only what the store
 * releases: the customer's references in the systems named, and the segments named (while the
 * customer consents to profiling). Its receipts are reported as the data-map system named, so what
 * the tills send and receive is on the data map.
 */
export class Stores {
  readonly #db: Kysely<Database>;
  readonly #audit: AuditLog;

  constructor(db: Kysely<Database>, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /** Registers a store or changes one: every system it names is on the data map, every segment exists. */
  async put(key: string, input: StoreInput, now = Date.now()): Promise<Store> {
    await this.#db.transaction().execute(async (trx) => {
      const systems = new Set((await trx.selectFrom('data_systems').select('key').execute()).map((row) => row.key));
      for (const system of [input.system, ...input.referenceSystems]) if (!systems.has(system)) throw conflict('unknown_system', `${system} is not on the data map: add it there first`);
      const segments = new Set((await trx.selectFrom('segments').select('key').execute()).map((row) => row.key));
      for (const segment of input.segments) if (!segments.has(segment)) throw invalid('unknown_segment', `There is no segment ${segment}`);
      if (input.brand !== null && !(await trx.selectFrom('brands').select('key').where('key', '=', input.brand).executeTakeFirst())) throw invalid('unknown_brand', `There is no brand ${input.brand}`);
      const values = { name: input.name, brand: input.brand, system: input.system, reference_systems: JSON.stringify(input.referenceSystems), segments: JSON.stringify(input.segments), updated_at: now };
      await trx
        .insertInto('stores')
        .values({ key, ...values, created_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet(values))
        .execute();
      await this.#audit.append(trx, { action: 'store.saved', actor: OPERATOR, subject: { type: 'store', id: key }, details: { brand: input.brand, system: input.system, reference_systems: input.referenceSystems, segments: input.segments } }, now);
    });
    return this.get(key);
  }

  async get(key: string): Promise<Store> {
    const row = await this.#db.selectFrom('stores').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) throw notFound('store');
    return present(row);
  }

  async list(): Promise<Store[]> {
    return (await this.#db.selectFrom('stores').selectAll().orderBy('key').execute()).map(present);
  }

  /** Removes a store (409 store_has_tills while a key of it is not revoked). */
  async remove(key: string, now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const till = await trx.selectFrom('api_keys').select('id').where('store', '=', key).where('revoked_at', 'is', null).executeTakeFirst();
      if (till) throw conflict('store_has_tills', `Revoke the tills' keys of ${key} first`);
      const result = await trx.deleteFrom('stores').where('key', '=', key).executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1) throw notFound('store');
      await this.#audit.append(trx, { action: 'store.removed', actor: OPERATOR, subject: { type: 'store', id: key } }, now);
    });
  }
}

function present(row: StoresTable): Store {
  return {
    key: row.key,
    name: row.name,
    brand: row.brand,
    system: row.system,
    referenceSystems: JSON.parse(row.reference_systems) as string[],
    segments: JSON.parse(row.segments) as string[],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
