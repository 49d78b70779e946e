import type { Kysely, Transaction } from 'kysely';
import { conflict, DomainError, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { ReadCache, type ChangeNotices } from '../store/change-notices.ts';
import type { Database, ProfileAttributesTable } from '../store/schema.ts';
import { ATTRIBUTE_ASK, ATTRIBUTE_TYPES, storedValue, type AttributeAsk, type AttributeType } from './attribute-types.ts';

export interface AttributeDefinition {
  key: string;
  type: AttributeType;
  labels: { sv: string; en: string };
  options: string[] | null;
  ask: AttributeAsk;
  builtIn: boolean;
  /** The customer may change it on their own profile page (`/account/profile`). */
  customerEditable: boolean;
}

/**
 * Built-in attributes with OpenID Connect claims of their own: `address` (scope `address`) and
 * `birthdate` (scope `profile`). Their type is fixed; when they are asked can be changed.
 */
const BUILT_IN: readonly AttributeDefinition[] = [
  { key: 'address', type: 'address', labels: { sv: 'Adress', en: 'Address' }, options: null, ask: 'when_requested', builtIn: true, customerEditable: true },
  { key: 'birthdate', type: 'date', labels: { sv: 'Födelsedatum', en: 'Date of birth' }, options: null, ask: 'never', builtIn: true, customerEditable: true },
];
/** The schema is cached as one entry under this id. */
const SCHEMA = 'schema';
/** Without Redis, another process sees a schema change within this time. */
const SCHEMA_CACHE_MS = 30_000;

/** Core fields of every customer, never attributes. */
const RESERVED = new Set(['email', 'email_verified', 'phone_number', 'phone_number_verified', 'given_name', 'family_name', 'name', 'locale', 'sub', 'password', 'status', 'consents', 'references', 'attributes']);

/**
 * The profile schema: which attributes a customer may have beyond the core fields, of which type,
 * and when the hosted pages ask for them. Custom attributes are released in the `attributes`
 * claim (scope `attributes`).
 */
export class ProfileSchema {
  readonly #db: Kysely<Database>;
  readonly #audit: AuditLog;
  /** Read on every sign-in (progressive profiling): cached, forgotten on every node when it changes. */
  readonly #cache: ReadCache<AttributeDefinition[]>;
  #removeValues: (trx: Transaction<Database>, key: string) => Promise<void> = () => Promise.reject(new Error('ProfileSchema: removeValuesWith was not wired'));

  constructor(db: Kysely<Database>, audit: AuditLog, changes: ChangeNotices) {
    this.#db = db;
    this.#audit = audit;
    this.#cache = new ReadCache('profile-schema', changes, SCHEMA_CACHE_MS);
  }

  /** Wired after construction: every customer's values are CustomerAttributes' (which needs this schema) to remove. */
  removeValuesWith(remove: (trx: Transaction<Database>, key: string) => Promise<void>): void {
    this.#removeValues = remove;
  }

  async list(): Promise<AttributeDefinition[]> {
    return (await this.#cache.get(SCHEMA, () => this.#read())) ?? [];
  }

  /** Read from the database: for writes of values, which must not be checked against a schema another node just changed. */
  async listFresh(): Promise<AttributeDefinition[]> {
    return this.#read();
  }

  async #read(): Promise<AttributeDefinition[]> {
    const rows = await this.#db.selectFrom('profile_attributes').selectAll().orderBy('key').execute();
    const stored = new Map(rows.map((row) => [row.key, present(row)]));
    const builtIns = BUILT_IN.map((attribute) => {
      const changed = stored.get(attribute.key);
      const row = rows.find((candidate) => candidate.key === attribute.key);
      return changed ? { ...attribute, labels: changed.labels, ask: changed.ask, customerEditable: row?.customer_editable === null || row?.customer_editable === undefined ? attribute.customerEditable : Boolean(row.customer_editable) } : attribute;
    });
    return [...builtIns, ...rows.filter((row) => !BUILT_IN.some((attribute) => attribute.key === row.key)).map(present)];
  }

  async get(key: string): Promise<AttributeDefinition> {
    const found = (await this.list()).find((attribute) => attribute.key === key);
    if (!found) throw new DomainError('unknown_attribute', 400, `No attribute ${key} in the profile schema`);
    return found;
  }

  /** Adds or changes an attribute. A built-in one keeps its type; a custom one cannot change type once customers have values. */
  async put(key: string, input: { type: AttributeType; labels: { sv: string; en: string }; options: string[] | null; ask: AttributeAsk; customer_editable?: boolean | null | undefined }, now = Date.now()): Promise<AttributeDefinition> {
    if (RESERVED.has(key)) throw conflict('reserved_attribute', `${key} is a core field of every customer`);
    const builtIn = BUILT_IN.find((attribute) => attribute.key === key);
    if (builtIn && input.type !== builtIn.type) throw conflict('built_in_attribute', `${key} is built in with type ${builtIn.type}`);
    if ((input.type === 'enum') !== (input.options !== null)) throw new DomainError('validation_failed', 400, 'options are for enum attributes, and enum attributes need them');
    await this.#db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('profile_attributes').select('type').where('key', '=', key).executeTakeFirst();
      if (current && current.type !== input.type) {
        const used = await trx.selectFrom('customer_attributes').select('customer_id').where('key', '=', key).executeTakeFirst();
        if (used) throw conflict('attribute_in_use', 'Customers have values of the old type; add a new attribute instead');
      }
      const editable = input.customer_editable === undefined || input.customer_editable === null ? null : input.customer_editable ? 1 : 0;
      const values = { type: input.type, labels: JSON.stringify(input.labels), options: input.options ? JSON.stringify(input.options) : null, ask: input.ask, customer_editable: editable, updated_at: now };
      await trx.insertInto('profile_attributes').values({ key, ...values, created_at: now }).onConflict((conflict) => conflict.column('key').doUpdateSet(values)).execute();
      await this.#audit.append(trx, { action: 'profile_schema.attribute_set', actor: OPERATOR, subject: { type: 'profile_attribute', id: key }, details: { type: input.type, ask: input.ask } }, now);
    });
    this.#cache.changed(SCHEMA);
    return this.get(key);
  }

  /** Removes a custom attribute and every customer's value of it. */
  async remove(key: string, now = Date.now()): Promise<void> {
    if (BUILT_IN.some((attribute) => attribute.key === key)) throw conflict('built_in_attribute', `${key} is built in; set ask to never instead`);
    await this.#db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('profile_attributes').where('key', '=', key).executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1) throw notFound('attribute');
      await this.#removeValues(trx, key);
      await this.#audit.append(trx, { action: 'profile_schema.attribute_removed', actor: OPERATOR, subject: { type: 'profile_attribute', id: key } }, now);
    });
    this.#cache.changed(SCHEMA);
  }
}

export function isBuiltIn(key: string): boolean {
  return BUILT_IN.some((attribute) => attribute.key === key);
}

function present(row: ProfileAttributesTable): AttributeDefinition {
  return { key: row.key, type: storedValue(ATTRIBUTE_TYPES, row.type), labels: JSON.parse(row.labels) as { sv: string; en: string }, options: row.options ? (JSON.parse(row.options) as string[]) : null, ask: storedValue(ATTRIBUTE_ASK, row.ask), builtIn: isBuiltIn(row.key), customerEditable: row.customer_editable === null ? row.ask !== 'never' : Boolean(row.customer_editable) };
}
