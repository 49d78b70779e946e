import type { Kysely, Transaction } from 'kysely';
import { open, seal } from '../crypto/sealed-box.ts';
import { HASH_PURPOSES, type HashPurpose, type SecretKeys } from '../crypto/secret-keys.ts';
import type { Database } from './schema.ts';

const associatedData = (purpose: string) => `hash-key:${purpose}`;

/**
 * The secrets with the hash keys a rotation stored (opened with the current or a previous secret);
 * the derived ones stay for purposes no rotation stored yet.
 */
export async function withStoredHashKeys(db: Kysely<Database>, secrets: SecretKeys): Promise<SecretKeys> {
  const rows = await db.selectFrom('hash_keys').select(['purpose', 'sealed']).execute();
  if (rows.length === 0) return secrets;
  const keys = new Map<HashPurpose, Buffer>(HASH_PURPOSES.map((purpose) => [purpose, secrets.hashing(purpose)]));
  const sealing = secrets.sealing('hash-key-encryption');
  for (const row of rows) {
    if ((HASH_PURPOSES as readonly string[]).includes(row.purpose)) keys.set(row.purpose as HashPurpose, Buffer.from(open(sealing, row.sealed, associatedData(row.purpose)), 'base64url'));
  }
  return secrets.withHashKeys(keys);
}

/** Every hash key in use, sealed under the current secret alone (a rotation's last step). */
export async function storeHashKeys(trx: Transaction<Database>, secrets: SecretKeys, now = Date.now()): Promise<void> {
  const [current] = secrets.sealing('hash-key-encryption');
  await trx.deleteFrom('hash_keys').execute();
  await trx
    .insertInto('hash_keys')
    .values(HASH_PURPOSES.map((purpose) => ({ purpose, sealed: seal(current!, secrets.hashing(purpose).toString('base64url'), associatedData(purpose)), created_at: now })))
    .execute();
}
