import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { open, seal, SealedBoxError } from '../crypto/sealed-box.ts';
import type { SealingPurpose, SecretKeys } from '../crypto/secret-keys.ts';
import { resealTotpSecret } from '../credentials/credential-store.ts';
import { resealWebhookSecret } from '../events/webhook-subscriptions.ts';
import { resealConnectionSecret } from '../federation/connections.ts';
import { resealOutboxPayload } from '../messaging/outbox.ts';
import { resealSigningKey } from '../oidc/signing-keys.ts';
import { resealOperatorTotpSecret } from '../operators/operator-accounts.ts';
import { resealDataSystemSecret } from '../privacy/data-systems.ts';
import { resealExportArchive } from '../privacy/privacy-exports.ts';
import { resealExportData } from '../privacy/privacy-tasks.ts';
import { resealSamlSigningKey } from '../saml/saml-signing-key.ts';
import { storeHashKeys, withStoredHashKeys } from '../store/hash-keys.ts';
import type { Database } from '../store/schema.ts';

/** A column of values sealed at rest: its table, the row's key, the key purpose and the associated data it was sealed with. */
interface SealedColumn {
  table: keyof Database;
  id: string;
  column: string;
  purpose: SealingPurpose;
  associatedData: (id: string) => string;
  /** Rows of the table that hold something else in the column (passkeys keep JSON in `credentials.secret`). */
  only?: RawBuilder<unknown>;
  /** The table's owner writes the value sealed again, unless it changed meanwhile (one owner per table). */
  reseal: (trx: Transaction<Database>, id: string, was: string, sealed: string) => Promise<bigint>;
}

/**
 * Every value sealed at rest (grep `seal(`): what `secret rotate` re-seals. Sealed tickets that
 * never reach the database (enrolment offers, pending sign-ins, workforce tickets) are not listed;
 * they live minutes and open with the previous secrets while nodes still list them.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'signing_keys', id: 'kid', column: 'encrypted_jwk', purpose: 'signing-key-encryption', associatedData: (kid) => kid, reseal: resealSigningKey },
  { table: 'saml_signing_keys', id: 'id', column: 'encrypted_key', purpose: 'signing-key-encryption', associatedData: (id) => `saml:${id}`, reseal: resealSamlSigningKey },
  { table: 'credentials', id: 'id', column: 'secret', purpose: 'totp-secret', associatedData: (id) => `totp:${id}`, only: sql`type = 'totp'`, reseal: resealTotpSecret },
  { table: 'operators', id: 'id', column: 'totp_secret', purpose: 'operator-credentials', associatedData: (id) => `operator-totp:${id}`, reseal: resealOperatorTotpSecret },
  { table: 'connections', id: 'key', column: 'client_secret', purpose: 'connection-secret', associatedData: (key) => `connection:${key}`, reseal: resealConnectionSecret },
  { table: 'webhook_subscriptions', id: 'id', column: 'secret', purpose: 'webhook-secret', associatedData: (id) => `webhook:${id}`, reseal: resealWebhookSecret },
  { table: 'data_systems', id: 'key', column: 'secret', purpose: 'data-system-secret', associatedData: (key) => `data-system:${key}`, reseal: resealDataSystemSecret },
  { table: 'outbox', id: 'id', column: 'payload', purpose: 'outbox-payload', associatedData: (id) => `outbox:${id}`, reseal: resealOutboxPayload },
  { table: 'privacy_tasks', id: 'id', column: 'export_data', purpose: 'privacy-export', associatedData: (id) => `privacy-task:${id}`, reseal: resealExportData },
  { table: 'privacy_exports', id: 'request_id', column: 'archive', purpose: 'privacy-export', associatedData: (id) => `privacy-export:${id}`, reseal: resealExportArchive },
];

export class SecretRotationError extends Error {
  override name = 'SecretRotationError';
}

/**
 * `portvakt secret rotate`, run with PORTVAKT_SECRET the new secret and PORTVAKT_PREVIOUS_SECRETS
 * the old ones (as every node runs during the change): in one transaction every sealed value
 * that does not open under the new secret is opened with an old one and sealed again under the
 * new, and the hash keys in use are stored sealed under the new. A value no listed secret opens
 * stops it, nothing changed. A row changed meanwhile by a node is left as that node wrote it
 * (under the new secret: nodes seal with PORTVAKT_SECRET). Signing keys are re-sealed, never
 * replaced, so tokens signed before keep verifying.
 */
export async function rotateSecret(db: Kysely<Database>, secrets: SecretKeys, now = Date.now()): Promise<Record<string, number>> {
  if (secrets.previous.length === 0) throw new SecretRotationError('secret rotate needs the old secret in PORTVAKT_PREVIOUS_SECRETS and the new one in PORTVAKT_SECRET');
  const withHashKeys = await withStoredHashKeys(db, secrets);
  return db.transaction().execute(async (trx) => {
    // Writing first: on SQLite the transaction takes the write lock now (waiting its turn), where a
    // read first would fail to upgrade once a node had written meanwhile ("database is locked").
    await storeHashKeys(trx, withHashKeys, now);
    const resealed: Record<string, number> = {};
    for (const sealed of SEALED_COLUMNS) {
      const keys = secrets.sealing(sealed.purpose);
      const current = keys[0]!;
      const rows = await sql<{ id: string; value: string }>`select ${sql.ref(sealed.id)} as id, ${sql.ref(sealed.column)} as value from ${sql.table(sealed.table)} where ${sql.ref(sealed.column)} is not null and ${sql.ref(sealed.column)} <> ''${sealed.only ? sql` and ${sealed.only}` : sql``}`.execute(trx);
      let count = 0;
      for (const { id, value } of rows.rows) {
        const associatedData = sealed.associatedData(String(id));
        if (opensWith(current, value, associatedData)) continue;
        let plaintext: string;
        try {
          plaintext = open(keys, value, associatedData);
        } catch (error) {
          if (!(error instanceof SealedBoxError)) throw error;
          throw new SecretRotationError(`${sealed.table}.${sealed.column} of ${id} opens under none of the secrets given; nothing was changed`);
        }
        count += Number(await sealed.reseal(trx, String(id), value, seal(current, plaintext, associatedData)));
      }
      resealed[`${sealed.table}.${sealed.column}`] = count;
    }
    return resealed;
  });
}

function opensWith(key: Buffer, value: string, associatedData: string): boolean {
  try {
    open(key, value, associatedData);
    return true;
  } catch {
    return false;
  }
}
