import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { deriveKey } from '../crypto/derived-keys.ts';
import { open, seal } from '../crypto/sealed-box.ts';
import type { Database } from '../store/schema.ts';

/** The change notice `keys rotate` sends so running nodes reload their keys at once. */
export const SIGNING_KEYS_TOPIC = 'signing-keys';

/** RS256 because OpenID Connect requires it for ID tokens; ES256 offered beside it. */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

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
  readonly #sealingKey: Buffer;

  constructor(db: Kysely<Database>, secret: string) {
    this.#db = db;
    this.#sealingKey = deriveKey(secret, 'signing-key-encryption');
  }

  /** Creates the first key pair when the database has no active key. */
  async ensureActive(now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const active = await trx.selectFrom('signing_keys').select('kid').where('status', '=', 'active').executeTakeFirst();
      if (!active) await this.#insertPair(trx, now);
    });
  }

  /** New active pair; the previous ones retire and stay published for `overlapSeconds`. */
  async rotate(overlapSeconds: number, now = Date.now()): Promise<{ added: string[]; retired: string[] }> {
    return this.#db.transaction().execute(async (trx) => {
      const retiring = await trx.selectFrom('signing_keys').select('kid').where('status', '=', 'active').execute();
      await trx
        .updateTable('signing_keys')
        .set({ status: 'retired', retired_at: now, remove_after: now + overlapSeconds * 1000 })
        .where('status', '=', 'active')
        .execute();
      const added = await this.#insertPair(trx, now + 1);
      return { added, retired: retiring.map((row) => row.kid) };
    });
  }

  /** Published keys, newest active first: oidc-provider signs with the first key of an algorithm. */
  async published(now = Date.now()): Promise<PrivateJwk[]> {
    const rows = await this.#db
      .selectFrom('signing_keys')
      .select(['kid', 'encrypted_jwk', 'status'])
      .where((eb) => eb.or([eb('status', '=', 'active'), eb('remove_after', '>', now)]))
      .orderBy('created_at', 'desc')
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
