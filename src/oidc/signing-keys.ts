import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Kysely, Transaction } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import type { Database } from '../store/schema.ts';

/** The change notice a key rotation (command line or API) sends so running nodes reload their keys at once. */
export const SIGNING_KEYS_TOPIC = 'signing-keys';

/** RS256 because OpenID Connect requires it for ID tokens; ES256 offered beside it. */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** What may be shown about a key: never its private (or public) material, only its description. */
export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlgorithm;
  kty: 'RSA' | 'EC';
  state: 'active' | 'retired';
  createdAt: number;
  retiredAt: number | null;
  /** When a retired key leaves the published set (its tokens have expired by then); null while active. */
  removeAfter: number | null;
}

export interface Rotation {
  added: string[];
  retired: string[];
}

export interface PrivateJwk extends JWK {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

/**
 * Signing keys live in `signing_keys`, each private JWK sealed with a key derived from
 * PORTVAKT_SECRET. Rotation makes a new pair active and keeps the old pair published (for
 * verification only) until `remove_after`, by when every token it signed has expired.
 */
export class SigningKeyStore {
  readonly #db: Kysely<Database>;
  readonly #sealingKey: SealingKeys;

  constructor(db: Kysely<Database>, sealingKeys: SealingKeys) {
    this.#db = db;
    this.#sealingKey = sealingKeys;
  }

  /** Creates the first key pair when the database has no active key. */
  async ensureActive(now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const active = await trx.selectFrom('signing_keys').select('kid').where('status', '=', 'active').executeTakeFirst();
      if (!active) await this.#insertPair(trx, now);
    });
  }

  /**
   * New active pair; the previous ones retire and stay published for `overlapSeconds`. `record`
   * runs in the same transaction (the audit entry of the rotation commits with it).
   */
  async rotate(overlapSeconds: number, now = Date.now(), record?: (trx: Transaction<Database>, rotation: Rotation) => Promise<unknown>): Promise<Rotation> {
    return this.#db.transaction().execute(async (trx) => {
      const retiring = await trx.selectFrom('signing_keys').select('kid').where('status', '=', 'active').execute();
      await trx
        .updateTable('signing_keys')
        .set({ status: 'retired', retired_at: now, remove_after: now + overlapSeconds * 1000 })
        .where('status', '=', 'active')
        .execute();
      const added = await this.#insertPair(trx, now + 1);
      const rotation = { added, retired: retiring.map((row) => row.kid) };
      await record?.(trx, rotation);
      return rotation;
    });
  }

  /** The published keys described (same set and order as `published`), read without opening them. */
  async list(now = Date.now()): Promise<SigningKeyInfo[]> {
    const rows = await this.#db
      .selectFrom('signing_keys')
      .select(['kid', 'alg', 'status', 'created_at', 'retired_at', 'remove_after'])
      .where((eb) => eb.or([eb('status', '=', 'active'), eb('remove_after', '>', now)]))
      .orderBy('created_at', 'desc')
      .orderBy('kid')
      .execute();
    const ordered = [...rows.filter((row) => row.status === 'active'), ...rows.filter((row) => row.status !== 'active')];
    return ordered.map((row) => ({
      kid: row.kid,
      alg: row.alg as SigningAlgorithm,
      kty: row.alg === 'ES256' ? 'EC' : 'RSA',
      state: row.status === 'active' ? 'active' : 'retired',
      createdAt: Number(row.created_at),
      retiredAt: row.retired_at === null ? null : Number(row.retired_at),
      removeAfter: row.remove_after === null ? null : Number(row.remove_after),
    }));
  }

  /** Published keys, newest active first: oidc-provider signs with the first key of an algorithm. */
  async published(now = Date.now()): Promise<PrivateJwk[]> {
    const rows = await this.#db
      .selectFrom('signing_keys')
      .select(['kid', 'encrypted_jwk', 'status'])
      .where((eb) => eb.or([eb('status', '=', 'active'), eb('remove_after', '>', now)]))
      .orderBy('created_at', 'desc')
      // Keys made together (a pair) tie on created_at: kid decides, the same order as `list`.
      .orderBy('kid')
      .execute();
    const ordered = [...rows.filter((row) => row.status === 'active'), ...rows.filter((row) => row.status !== 'active')];
    return ordered.map((row) => JSON.parse(open(this.#sealingKey, row.encrypted_jwk, row.kid)) as PrivateJwk);
  }

  /** Retired keys whose overlap ended are deleted. */
  async removeExpired(now = Date.now()): Promise<number> {
    const result = await this.#db
      .deleteFrom('signing_keys')
      .where('status', '=', 'retired')
      .where('remove_after', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #insertPair(trx: Kysely<Database>, now: number): Promise<string[]> {
    const kids: string[] = [];
    for (const alg of SIGNING_ALGORITHMS) {
      const jwk = await generateJwk(alg);
      await trx
        .insertInto('signing_keys')
        .values({
          kid: jwk.kid,
          alg,
          encrypted_jwk: seal(this.#sealingKey, JSON.stringify(jwk), jwk.kid),
          status: 'active',
          created_at: now,
          retired_at: null,
          remove_after: null,
        })
        .execute();
      kids.push(jwk.kid);
    }
    return kids;
  }
}

async function generateJwk(alg: SigningAlgorithm): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig' };
}

/** `secret rotate` (ops/secret-rotation.ts): a signing key sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealSigningKey(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('signing_keys').set({ encrypted_jwk: sealed }).where('kid', '=', id).where('encrypted_jwk', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
