import type { Kysely, Selectable, Transaction } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { conflict, invalid, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { generateWebhookSecret } from '../events/webhook-signature.ts';
import type { OutboundUrlCheck } from '../outbound/outbound-url-check.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import type { Dialect } from '../store/database.ts';
import type { DataSystemsTable, Database } from '../store/schema.ts';
import { checkAccessRules, PORTVAKT_SYSTEM, type Identifier, type RetentionRule, type SystemInput, type SystemPatch } from './data-system.schemas.ts';

export interface DataSystem {
  key: string;
  name: string;
  categories: string[];
  legalBasis: string;
  retention: RetentionRule | null;
  access: DataSystemsTable['access'];
  endpoint: string | null;
  checklist: string[] | null;
  /** How the system keys its customers; Portvakt itself knows them by its own id. */
  identifiedBy: Identifier[];
  version: number;
  createdAt: number;
  updatedAt: number;
}

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Portvakt on its own data map: what it holds of every customer, erased in-process. Its categories
 * are those its tables declare (customers/customer-data.ts), so a new kind of data joins the map
 * when its table is declared.
 */
export function portvaktSystem(categories: readonly string[]): DataSystem {
  return {
    key: PORTVAKT_SYSTEM,
    name: 'Portvakt (customer identity)',
    categories: [...categories],
    legalBasis: 'contract',
    retention: null,
    access: 'builtin',
    endpoint: null,
    checklist: null,
    identifiedBy: ['reference'],
    version: 1,
    createdAt: 0,
    updatedAt: 0,
  };
}

/**
 * The data map: every system that holds customer data, what it holds, on which legal basis, how
 * long the law makes it keep records, and how a privacy request reaches it. The secret that signs
 * requests to a system (and verifies its callbacks) is generated here, shown once, sealed at rest.
 */
export class DataSystems {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  readonly #key: SealingKeys;
  readonly #audit: AuditLog;
  readonly #checkUrl: OutboundUrlCheck;
  readonly #builtinCategories: () => readonly string[];

  /**
   * `checkUrl`: an endpoint is checked before it is stored (https and public in production).
   * `builtinCategories`: Portvakt's own categories, asked when the map is read (the tables'
   * owners are registered after this service is built).
   */
  constructor(deps: { db: Kysely<Database>; dialect: Dialect; key: SealingKeys; audit: AuditLog; checkUrl?: OutboundUrlCheck; builtinCategories: () => readonly string[] }) {
    this.#db = deps.db;
    this.#dialect = deps.dialect;
    this.#key = deps.key;
    this.#audit = deps.audit;
    this.#checkUrl = deps.checkUrl ?? (async () => {});
    this.#builtinCategories = deps.builtinCategories;
  }

  async create(input: SystemInput, now = Date.now()): Promise<DataSystem & { secret?: string }> {
    if (input.endpoint) await this.#checkUrl(input.endpoint, 'endpoint');
    const secret = input.access === 'manual' ? undefined : generateWebhookSecret();
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx
          .insertInto('data_systems')
          .values({ ...toColumns(input), key: input.key, secret: secret ? seal(this.#key, secret, `data-system:${input.key}`) : null, version: 1, created_at: now, updated_at: now })
          .execute();
        await this.#audit.append(trx, { action: 'data_system.created', actor: OPERATOR, subject: { type: 'data_system', id: input.key }, details: { access: input.access, retention: input.retention?.rule ?? null } }, now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('system_exists', `A system ${input.key} is already on the data map`);
      throw error;
    }
    return { ...(await this.get(input.key)), ...(secret ? { secret } : {}) };
  }

  /** A system made reachable over HTTP (it was manual) gets its secret here, shown once in the answer. */
  async update(key: string, patch: SystemPatch, now = Date.now()): Promise<DataSystem & { secret?: string }> {
    const current = await this.#stored(key);
    const merged = { key, name: current.name, categories: current.categories, legal_basis: current.legalBasis as SystemInput['legal_basis'], retention: current.retention, access: current.access as SystemInput['access'], endpoint: current.endpoint, checklist: current.checklist, identified_by: current.identifiedBy, ...patch };
    const checked = checkAccessRules(merged);
    if (!checked.success) throw invalid('validation_failed', 'The system would not be consistent', checked.error.issues.map((issue) => ({ path: ['body', ...issue.path.map(String)].join('.'), message: issue.message })));
    if (checked.data.endpoint && checked.data.endpoint !== current.endpoint) await this.#checkUrl(checked.data.endpoint, 'endpoint');
    const secret = checked.data.access !== 'manual' && current.access === 'manual' ? generateWebhookSecret() : undefined;
    await this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('data_systems')
        .set({ ...toColumns(checked.data), ...(secret ? { secret: seal(this.#key, secret, `data-system:${key}`) } : {}), version: current.version + 1, updated_at: now })
        .where('key', '=', key)
        .where('version', '=', current.version)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw conflict('concurrent_update', 'The system changed meanwhile; read it again');
      await this.#audit.append(trx, { action: 'data_system.updated', actor: OPERATOR, subject: { type: 'data_system', id: key }, details: { fields: Object.keys(patch) } }, now);
    });
    return { ...(await this.get(key)), ...(secret ? { secret } : {}) };
  }

  async remove(key: string, now = Date.now()): Promise<void> {
    if (key === PORTVAKT_SYSTEM) throw conflict('builtin_system', 'Portvakt itself stays on the data map');
    await this.#db.transaction().execute(async (trx) => {
      // The row first, held against a reference being set meanwhile (holdMapped waits for this).
      let row = trx.selectFrom('data_systems').select('key').where('key', '=', key);
      if (this.#dialect === 'postgres') row = row.forUpdate();
      if (!(await row.executeTakeFirst())) throw notFound('system');
      const open = await trx.selectFrom('privacy_tasks').select('id').where('system', '=', key).where('state', 'not in', ['done', 'dead', 'not_identified']).executeTakeFirst();
      if (open) throw conflict('system_busy', 'The system has privacy tasks still open; finish them first');
      // A system leaves the map only with no customer's reference in it: the map stays the whole list of where customer data is.
      const referenced = await trx.selectFrom('customer_references').select('customer_id').where('system', '=', key).limit(1).executeTakeFirst();
      if (referenced) throw conflict('system_has_references', 'Customers have references in this system; remove or erase them first');
      await trx.deleteFrom('data_systems').where('key', '=', key).execute();
      await this.#audit.append(trx, { action: 'data_system.removed', actor: OPERATOR, subject: { type: 'data_system', id: key } }, now);
    });
  }

  /**
   * Whether a system is on the data map (Portvakt itself is not a system references point into),
   * held there until the caller's transaction ends: on PostgreSQL a share lock on its row, which
   * removal's update lock waits for; SQLite has a single writer.
   */
  async holdMapped(trx: Transaction<Database>, key: string): Promise<boolean> {
    let row = trx.selectFrom('data_systems').select('key').where('key', '=', key);
    if (this.#dialect === 'postgres') row = row.forShare();
    return (await row.executeTakeFirst()) !== undefined;
  }

  /** Every system, Portvakt first (`db`: inside the caller's transaction; on SQLite anything else would wait for it). */
  async list(db: Executor = this.#db): Promise<DataSystem[]> {
    const rows = await db.selectFrom('data_systems').selectAll().orderBy('key').execute();
    return [this.#portvakt(), ...rows.map(present)];
  }

  async get(key: string, db: Executor = this.#db): Promise<DataSystem> {
    return key === PORTVAKT_SYSTEM ? this.#portvakt() : this.#stored(key, db);
  }

  #portvakt(): DataSystem {
    return portvaktSystem(this.#builtinCategories());
  }

  /** The opened signing secret of a system reached over HTTP. */
  async secretOf(key: string): Promise<string> {
    const row = await this.#db.selectFrom('data_systems').select('secret').where('key', '=', key).executeTakeFirst();
    if (!row?.secret) throw notFound('system secret');
    return open(this.#key, row.secret, `data-system:${key}`);
  }

  async #stored(key: string, db: Executor = this.#db): Promise<DataSystem> {
    const row = await db.selectFrom('data_systems').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) throw notFound('system');
    return present(row);
  }
}

function toColumns(input: Omit<SystemInput, 'key'>) {
  return {
    name: input.name,
    categories: JSON.stringify(input.categories),
    legal_basis: input.legal_basis,
    retention: input.retention ? JSON.stringify(input.retention) : null,
    access: input.access,
    endpoint: input.endpoint,
    checklist: input.checklist ? JSON.stringify(input.checklist) : null,
    identified_by: JSON.stringify(input.identified_by),
  };
}

function present(row: Selectable<DataSystemsTable>): DataSystem {
  return {
    key: row.key,
    name: row.name,
    categories: JSON.parse(row.categories) as string[],
    legalBasis: row.legal_basis,
    retention: row.retention ? (JSON.parse(row.retention) as RetentionRule) : null,
    access: row.access,
    endpoint: row.endpoint,
    checklist: row.checklist ? (JSON.parse(row.checklist) as string[]) : null,
    identifiedBy: JSON.parse(row.identified_by) as Identifier[],
    version: row.version,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** `secret rotate` (ops/secret-rotation.ts): a data system's secret sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealDataSystemSecret(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('data_systems').set({ secret: sealed }).where('key', '=', id).where('secret', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
