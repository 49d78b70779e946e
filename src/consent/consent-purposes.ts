import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { conflict, notFound } from '../errors/domain-error.ts';
import { canonicalJson, OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import type { Database } from '../store/schema.ts';
import type { PurposeTexts } from './consent.schemas.ts';

export interface PurposeVersion {
  key: string;
  required: boolean;
  brand: string | null;
  version: number;
  textHash: string;
  requiresFreshConsent: boolean;
  /**
   * The oldest version a decision may be about and still count: the latest version (up to this
   * one) that asked for fresh consent, or 1. A grant of an older version is void.
   */
  freshFloor: number;
  texts: PurposeTexts;
  createdAt: number;
}

/** The hash a consent record carries: of exactly the texts shown, in both languages. */
export function textHash(texts: PurposeTexts): string {
  return `sha256:${createHash('sha256').update(canonicalJson(texts)).digest('hex')}`;
}

/** Consent purposes and their versions. A changed text is a new version; versions are never edited. */
export class ConsentPurposes {
  readonly #db: Kysely<Database>;
  readonly #audit: AuditLog;

  constructor(db: Kysely<Database>, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  async create(input: { key: string; required: boolean; brand: string | null; texts: PurposeTexts }, now = Date.now()): Promise<PurposeVersion> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx.insertInto('consent_purposes').values({ key: input.key, required: input.required ? 1 : 0, brand: input.brand, current_version: 1, created_at: now }).execute();
        await this.#insertVersion(trx, input.key, 1, input.texts, false, now);
        await this.#audit.append(trx, { action: 'consent_purpose.created', actor: OPERATOR, subject: { type: 'consent_purpose', id: input.key }, details: { version: 1 } }, now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('purpose_exists', `A purpose with the key ${input.key} exists; add a version to change it`);
      throw error;
    }
    return this.current(input.key);
  }

  /**
   * A new version. Without fresh consent it needs changed texts (the same texts again are refused:
   * nothing to version). With fresh consent the texts may stay as they are (`texts` omitted, or
   * the same): "ask everyone again" — earlier grants stop counting and customers are asked at
   * their next sign-in, the ledger's text hash showing the texts did not change.
   */
  async addVersion(key: string, texts: PurposeTexts | undefined, requiresFreshConsent: boolean, now = Date.now()): Promise<PurposeVersion> {
    await this.#db.transaction().execute(async (trx) => {
      const purpose = await trx.selectFrom('consent_purposes').select('current_version').where('key', '=', key).executeTakeFirst();
      if (!purpose) throw notFound('consent purpose');
      const latest = await trx.selectFrom('consent_purpose_versions').select(['text_hash', 'texts']).where('purpose_key', '=', key).where('version', '=', purpose.current_version).executeTakeFirstOrThrow();
      const next = texts ?? (JSON.parse(latest.texts) as PurposeTexts);
      const textsChanged = latest.text_hash !== textHash(next);
      if (!textsChanged && !requiresFreshConsent) {
        throw conflict('texts_unchanged', 'The texts are the same as the current version; to ask customers again without new texts, set requires_fresh_consent');
      }
      const version = purpose.current_version + 1;
      const moved = await trx.updateTable('consent_purposes').set({ current_version: version }).where('key', '=', key).where('current_version', '=', purpose.current_version).executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) throw conflict('concurrent_update', 'Another version was added at the same time; read it and retry');
      await this.#insertVersion(trx, key, version, next, requiresFreshConsent, now);
      await this.#audit.append(trx, { action: 'consent_purpose.versioned', actor: OPERATOR, subject: { type: 'consent_purpose', id: key }, details: { version, requires_fresh_consent: requiresFreshConsent, texts_changed: textsChanged } }, now);
    });
    return this.current(key);
  }

  async current(key: string): Promise<PurposeVersion> {
    const found = await this.#select(this.#db).where('p.key', '=', key).whereRef('v.version', '=', 'p.current_version').executeTakeFirst();
    if (!found) throw notFound('consent purpose');
    return toVersion(found);
  }

  async version(key: string, version: number): Promise<PurposeVersion | undefined> {
    const found = await this.#select(this.#db).where('p.key', '=', key).where('v.version', '=', version).executeTakeFirst();
    return found && toVersion(found);
  }

  /** The current version of every purpose (of one brand and the group-wide ones, when given). */
  async list(): Promise<PurposeVersion[]> {
    return (await this.#select(this.#db).whereRef('v.version', '=', 'p.current_version').orderBy('p.created_at').orderBy('p.key').execute()).map(toVersion);
  }

  async #insertVersion(trx: Transaction<Database>, key: string, version: number, texts: PurposeTexts, fresh: boolean, now: number): Promise<void> {
    await trx
      .insertInto('consent_purpose_versions')
      .values({ purpose_key: key, version, texts: JSON.stringify(texts), text_hash: textHash(texts), requires_fresh_consent: fresh ? 1 : 0, created_at: now })
      .execute();
  }

  #select(db: Kysely<Database>) {
    return db
      .selectFrom('consent_purposes as p')
      .innerJoin('consent_purpose_versions as v', 'v.purpose_key', 'p.key')
      .select(['p.key', 'p.required', 'p.brand', 'v.version', 'v.text_hash', 'v.requires_fresh_consent', 'v.texts', 'v.created_at'])
      .select((eb) =>
        eb
          .selectFrom('consent_purpose_versions as f')
          .select((inner) => inner.fn.max<number | null>('f.version').as('floor'))
          .whereRef('f.purpose_key', '=', 'p.key')
          .whereRef('f.version', '<=', 'v.version')
          .where('f.requires_fresh_consent', '=', 1)
          .as('fresh_floor'),
      );
  }
}

function toVersion(row: { key: string; required: number; brand: string | null; version: number; text_hash: string; requires_fresh_consent: number; texts: string; created_at: number; fresh_floor: number | null }): PurposeVersion {
  return {
    key: row.key,
    required: row.required === 1,
    brand: row.brand,
    version: row.version,
    textHash: row.text_hash,
    requiresFreshConsent: row.requires_fresh_consent === 1,
    freshFloor: Math.max(1, Number(row.fresh_floor ?? 1)),
    texts: JSON.parse(row.texts) as PurposeTexts,
    createdAt: Number(row.created_at),
  };
}
