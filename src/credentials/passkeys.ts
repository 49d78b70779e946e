import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import { customerActor, type AuditLog } from '../events/audit-log.ts';
import type { Database } from '../store/schema.ts';
import type { CredentialStore } from './credential-store.ts';
import { passkeyRefused, type WebAuthnCeremonies } from './webauthn-ceremonies.ts';

export interface Passkey {
  id: string;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
}

interface StoredKey {
  publicKey: string;
  transports?: string[];
}

/**
 * Customers' passkeys: the WebAuthn ceremonies (`webauthn-ceremonies.ts`) over rows of
 * `credentials`. User verification is required, so one passkey is possession plus the device's
 * biometric or PIN (`amr` hwk, two factors).
 */
export class Passkeys {
  readonly #db: Kysely<Database>;
  readonly #credentials: CredentialStore;
  readonly #ceremonies: WebAuthnCeremonies;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; credentials: CredentialStore; ceremonies: WebAuthnCeremonies; audit: AuditLog }) {
    this.#db = deps.db;
    this.#credentials = deps.credentials;
    this.#ceremonies = deps.ceremonies;
    this.#audit = deps.audit;
  }

  async list(customerId: string): Promise<Passkey[]> {
    const rows = await this.#db
      .selectFrom('credentials')
      .select(['id', 'label', 'created_at', 'last_used_at'])
      .where('customer_id', '=', customerId)
      .where('type', '=', 'passkey')
      .orderBy('created_at')
      .execute();
    return rows.map((row) => ({ id: row.id, label: row.label ?? 'Passkey', createdAt: row.created_at, lastUsedAt: row.last_used_at }));
  }

  async registrationOptions(flowId: string, customer: { id: string; email: string; name?: string }, ip: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.#db.selectFrom('credentials').select(['lookup_key', 'secret']).where('customer_id', '=', customer.id).where('type', '=', 'passkey').execute();
    const user = { id: customer.id, name: customer.email, displayName: customer.name ?? customer.email };
    return this.#ceremonies.registrationOptions(flowId, user, existing.map((row) => ({ credentialId: row.lookup_key!, ...transportsOf(row.secret) })), ip, { customerId: customer.id });
  }

  async register(flowId: string, customerId: string, answer: unknown, label: string, now = Date.now()): Promise<void> {
    const credential = await this.#ceremonies.verifyRegistration(flowId, answer);
    const stored: StoredKey = { publicKey: credential.publicKey, ...(credential.transports ? { transports: credential.transports } : {}) };
    try {
      await this.#db.transaction().execute(async (trx) => {
        const id = crypto.randomUUID();
        await this.#credentials.addPasskey(trx, { id, customerId, secret: JSON.stringify(stored), label: label.slice(0, 100), lookupKey: credential.credentialId, counter: credential.counter, now });
        await this.#audit.append(trx, { action: 'credential.passkey_added', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { passkey_id: id } }, now);
      });
    } catch (error) {
      // A credential id that is already registered (to anyone) is refused, not stored twice.
      if (isUniqueViolation(error)) throw passkeyRefused();
      throw error;
    }
  }

  /** Options for a sign-in with any passkey of this site (discoverable: the authenticator offers its accounts). */
  authenticationOptions(flowId: string, ip: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.#ceremonies.authenticationOptions(flowId, ip);
  }

  /** Verifies an assertion and answers the customer it proves. */
  async authenticate(flowId: string, answer: unknown, now = Date.now()): Promise<string> {
    const assertion = this.#ceremonies.assertion(answer);
    const row = await this.#db
      .selectFrom('credentials')
      .select(['id', 'customer_id', 'secret', 'counter', 'lookup_key'])
      .where('type', '=', 'passkey')
      .where('lookup_key', '=', assertion.credentialId)
      .executeTakeFirst();
    if (!row || row.lookup_key === null) throw passkeyRefused();
    if (assertion.userHandle !== undefined && assertion.userHandle !== row.customer_id) throw passkeyRefused();
    const stored = JSON.parse(row.secret) as StoredKey;
    const counter = await this.#ceremonies.verifyAuthentication(flowId, assertion, { credentialId: row.lookup_key, publicKey: stored.publicKey, counter: row.counter ?? 0, ...(stored.transports ? { transports: stored.transports } : {}) });
    await this.#credentials.passkeyUsed(row.id, counter, now);
    return row.customer_id;
  }

  async remove(customerId: string, passkeyId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      if (!(await this.#credentials.removePasskey(trx, customerId, passkeyId))) return false;
      await this.#audit.append(trx, { action: 'credential.passkey_removed', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { passkey_id: passkeyId } });
      return true;
    });
  }
}

function transportsOf(secret: string): { transports?: string[] } {
  const stored = JSON.parse(secret) as StoredKey;
  return stored.transports ? { transports: stored.transports } : {};
}
