import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Kysely, Transaction } from 'kysely';
import { passkeyRefused, type WebAuthnCeremonies, type WebAuthnCredential } from '../credentials/webauthn-ceremonies.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import type { Database } from '../store/schema.ts';

/**
 * Operators' passkeys (owner of `operator_passkeys`), through the same WebAuthn ceremonies as
 * customers'. The relying party is the issuer's host, like customers'; the user handle is the
 * operator's id prefixed `operator:`, so a customer's passkey never matches an operator's row.
 */
export class OperatorPasskeys {
  readonly #db: Kysely<Database>;
  readonly #ceremonies: WebAuthnCeremonies;

  constructor(deps: { db: Kysely<Database>; ceremonies: WebAuthnCeremonies }) {
    this.#db = deps.db;
    this.#ceremonies = deps.ceremonies;
  }

  async registrationOptions(flowId: string, operator: { id: string; email: string; name: string }, ip: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.#db.selectFrom('operator_passkeys').select(['credential_id', 'transports']).where('operator_id', '=', operator.id).execute();
    return this.#ceremonies.registrationOptions(
      flowId,
      { id: `operator:${operator.id}`, name: operator.email, displayName: operator.name },
      existing.map((row) => ({ credentialId: row.credential_id, ...(row.transports ? { transports: JSON.parse(row.transports) as string[] } : {}) })),
      ip,
      { rpName: 'Portvakt console' },
    );
  }

  /** Verifies a registration answer (before anything is written). */
  verifyRegistration(flowId: string, answer: unknown): Promise<WebAuthnCredential> {
    return this.#ceremonies.verifyRegistration(flowId, answer);
  }

  /** Stores a verified passkey in the caller's transaction. */
  async add(trx: Transaction<Database>, operatorId: string, credential: WebAuthnCredential, label: string, now = Date.now()): Promise<string> {
    const id = crypto.randomUUID();
    try {
      await trx
        .insertInto('operator_passkeys')
        .values({ id, operator_id: operatorId, credential_id: credential.credentialId, public_key: credential.publicKey, counter: credential.counter, transports: credential.transports ? JSON.stringify(credential.transports) : null, label: label.slice(0, 100), created_at: now, last_used_at: null })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw passkeyRefused();
      throw error;
    }
    return id;
  }

  authenticationOptions(flowId: string, ip: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.#ceremonies.authenticationOptions(flowId, ip);
  }

  /** Verifies an assertion and answers the operator it proves. */
  async authenticate(flowId: string, answer: unknown, now = Date.now()): Promise<string> {
    const assertion = this.#ceremonies.assertion(answer);
    const row = await this.#db.selectFrom('operator_passkeys').selectAll().where('credential_id', '=', assertion.credentialId).executeTakeFirst();
    if (!row) throw passkeyRefused();
    if (assertion.userHandle !== undefined && assertion.userHandle !== `operator:${row.operator_id}`) throw passkeyRefused();
    const counter = await this.#ceremonies.verifyAuthentication(flowId, assertion, {
      credentialId: row.credential_id,
      publicKey: row.public_key,
      counter: Number(row.counter),
      ...(row.transports ? { transports: JSON.parse(row.transports) as string[] } : {}),
    });
    await this.#db.updateTable('operator_passkeys').set({ counter, last_used_at: now }).where('id', '=', row.id).execute();
    return row.operator_id;
  }

  async count(operatorId: string): Promise<number> {
    const row = await this.#db.selectFrom('operator_passkeys').select((eb) => eb.fn.countAll<number>().as('n')).where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
