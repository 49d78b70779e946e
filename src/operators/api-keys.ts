import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DomainError, notFound } from '../errors/domain-error.ts';
import type { AuditLog } from '../events/audit-log.ts';
import { OPERATOR } from '../events/audit-log.ts';
import type { ApiKeysTable, Database } from '../store/schema.ts';
import { storedRole, type Operator, type Role } from './operator-roles.ts';

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  systems: string[] | null;
  /** The consent capability: purposes the (integration) key may record decisions for; null: none. */
  consentPurposes: string[] | null;
  /** The store whose till a `store` key is; null for other roles. */
  store: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** `pvk_{id}.{secret}`: the id finds the key, the secret (256 bits) proves it. */
const KEY_FORMAT = /^pvk_([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;
/** How often a key's last use is written: once an hour is enough to see which keys are alive. */
const LAST_USED_EVERY_MS = 60 * 60_000;

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * Management API keys, each with one role: created through the API or the CLI, shown once, kept
 * as a hash, revocable at once. A revoked key is kept (named in old audit entries) and refused.
 */
export class ApiKeys {
  readonly #db: Kysely<Database>;
  readonly #audit: AuditLog;
  readonly #lastWritten = new Map<string, number>();

  constructor(db: Kysely<Database>, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /** A new key; its secret is in the answer and nowhere else. */
  async create(input: { name: string; role: Role; systems: string[] | null; consentPurposes?: string[] | null; store?: string | null }, now = Date.now()): Promise<ApiKey & { key: string }> {
    const consentPurposes = input.consentPurposes ?? null;
    const store = input.store ?? null;
    if (input.role === 'store' && !store) throw new DomainError('validation_failed', 400, 'A store key names the store whose till it is');
    if (input.role !== 'store' && store) throw new DomainError('validation_failed', 400, 'Only store keys name a store');
    if (input.role === 'integration' && !input.systems) throw new DomainError('validation_failed', 400, 'An integration key names the systems it speaks for');
    if (input.role !== 'integration' && input.systems) throw new DomainError('validation_failed', 400, 'Only integration keys name systems');
    if (input.role !== 'integration' && consentPurposes) throw new DomainError('validation_failed', 400, 'Only integration keys are given the consent capability (consent_purposes)');
    const id = `pvk_${randomBytes(12).toString('base64url')}`;
    const secret = randomBytes(32).toString('base64url');
    const row: ApiKeysTable = { id, name: input.name, role: input.role, systems: input.systems ? JSON.stringify(input.systems) : null, consent_purposes: consentPurposes ? JSON.stringify(consentPurposes) : null, store, secret_hash: hash(secret), created_at: now, last_used_at: null, revoked_at: null };
    await this.#db.transaction().execute(async (trx) => {
      if (store && !(await trx.selectFrom('stores').select('key').where('key', '=', store).executeTakeFirst())) throw new DomainError('unknown_store', 400, `There is no store ${store}`);
      await trx.insertInto('api_keys').values(row).execute();
      await this.#audit.append(trx, { action: 'api_key.created', actor: OPERATOR, subject: { type: 'api_key', id }, details: { role: input.role, systems: input.systems, consent_purposes: consentPurposes, store } }, now);
    });
    return { ...present(row), key: `${id}.${secret}` };
  }

  async list(): Promise<ApiKey[]> {
    return (await this.#db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()).map(present);
  }

  async revoke(id: string, now = Date.now()): Promise<ApiKey> {
    await this.#db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        const exists = await trx.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst();
        if (!exists) throw notFound('api_key');
        return;
      }
      await this.#audit.append(trx, { action: 'api_key.revoked', actor: OPERATOR, subject: { type: 'api_key', id } }, now);
    });
    const row = await this.#db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return present(row);
  }

  /** The operator a presented key stands for, or undefined (unknown, malformed, wrong secret, revoked). */
  async authenticate(presented: string, now = Date.now()): Promise<Operator | undefined> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return undefined;
    const id = `pvk_${match[1]}`;
    const row = await this.#db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.revoked_at !== null) return undefined;
    const expected = Buffer.from(row.secret_hash, 'hex');
    const actual = Buffer.from(hash(match[2]!), 'hex');
    if (!timingSafeEqual(expected, actual)) return undefined;
    if (now - (this.#lastWritten.get(id) ?? 0) > LAST_USED_EVERY_MS) {
      this.#lastWritten.set(id, now);
      await this.#db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
    }
    const key = present(row);
    return { id: `key:${id}`, roles: [key.role], systems: key.systems, consentPurposes: key.consentPurposes, store: key.store };
  }
}

function present(row: ApiKeysTable): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: storedRole(row.role),
    systems: row.systems ? (JSON.parse(row.systems) as string[]) : null,
    consentPurposes: row.consent_purposes ? (JSON.parse(row.consent_purposes) as string[]) : null,
    store: row.store,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
