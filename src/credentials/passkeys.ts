import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { DomainError, tooManyAttempts } from '../errors/domain-error.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import { clientNetwork } from './client-address.ts';
import { customerActor, type AuditLog } from '../events/audit-log.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { Database } from '../store/schema.ts';
import type { CredentialStore } from './credential-store.ts';
import type { OneTimeCodes } from './one-time-codes.ts';

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

/** Passkey ceremonies a network may start before further ones are delayed (forgotten after a quiet hour). */
const CHALLENGES_PER_NETWORK = 1000;

const refused = () => new DomainError('passkey_refused', 400, 'The passkey could not be verified');

const b64url = z.string().max(8192).regex(/^[A-Za-z0-9_-]*$/);
/** The browser's answers as WebAuthn JSON; anything else is refused before the library sees it. */
const assertionShape = z.looseObject({
  id: b64url.max(1024),
  rawId: b64url.max(1024),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url, userHandle: b64url.optional() }),
  clientExtensionResults: z.looseObject({}).default({}),
});
const attestationShape = z.looseObject({
  id: b64url.max(1024),
  rawId: b64url.max(1024),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: b64url, attestationObject: b64url, transports: z.array(z.string().max(32)).max(10).optional() }),
  clientExtensionResults: z.looseObject({}).default({}),
});

function shaped<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw refused();
  return parsed.data;
}

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): discoverable credentials with user verification
 * required, so one passkey is possession plus the device's biometric or PIN (`amr` hwk, two
 * factors). Challenges are single-use rows bound to the flow that asked for them.
 */
export class Passkeys {
  readonly #db: Kysely<Database>;
  readonly #credentials: CredentialStore;
  readonly #codes: OneTimeCodes;
  readonly #rpId: string;
  readonly #origin: string;
  readonly #rpName: string;
  readonly #throttle: LoginThrottle;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; credentials: CredentialStore; codes: OneTimeCodes; throttle: LoginThrottle; audit: AuditLog; issuer: string; rpName: string }) {
    this.#db = deps.db;
    this.#credentials = deps.credentials;
    this.#audit = deps.audit;
    this.#codes = deps.codes;
    this.#throttle = deps.throttle;
    const url = new URL(deps.issuer);
    this.#rpId = url.hostname;
    this.#origin = url.origin;
    this.#rpName = deps.rpName;
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
    await this.#limitChallenges(ip);
    const existing = await this.#db.selectFrom('credentials').select(['lookup_key', 'secret']).where('customer_id', '=', customer.id).where('type', '=', 'passkey').execute();
    return generateRegistrationOptions({
      rpName: this.#rpName,
      rpID: this.#rpId,
      userName: customer.email,
      userDisplayName: customer.name ?? customer.email,
      userID: new TextEncoder().encode(customer.id),
      challenge: await this.#codes.issueChallenge(flowId, customer.id),
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({ id: row.lookup_key!, ...transportsOf(row.secret) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  async register(flowId: string, customerId: string, answer: unknown, label: string, now = Date.now()): Promise<void> {
    const response = shaped(attestationShape, answer) as unknown as RegistrationResponseJSON;
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: (challenge) => this.#redeem(flowId, challenge),
      expectedOrigin: this.#origin,
      expectedRPID: this.#rpId,
      requireUserVerification: true,
    }).catch(() => ({ verified: false as const }));
    if (!result.verified) throw refused();
    const { credential } = result.registrationInfo;
    const stored: StoredKey = { publicKey: Buffer.from(credential.publicKey).toString('base64url'), ...(credential.transports ? { transports: credential.transports } : {}) };
    try {
      await this.#db.transaction().execute(async (trx) => {
        const id = crypto.randomUUID();
        await this.#credentials.addPasskey(trx, { id, customerId, secret: JSON.stringify(stored), label: label.slice(0, 100), lookupKey: credential.id, counter: credential.counter, now });
        await this.#audit.append(trx, { action: 'credential.passkey_added', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { passkey_id: id } }, now);
      });
    } catch (error) {
      // A credential id that is already registered (to anyone) is refused, not stored twice.
      if (isUniqueViolation(error)) throw refused();
      throw error;
    }
  }

  /** Each options request stores a challenge: they are limited per network like code sends. */
  async #limitChallenges(ip: string): Promise<void> {
    const decision = await this.#throttle.attempt([this.#throttle.keyFor('passkey-options', clientNetwork(ip), CHALLENGES_PER_NETWORK)]);
    if (!decision.allowed) throw tooManyAttempts(decision.retryAfterSeconds);
  }

  /** Options for a sign-in with any passkey of this site (discoverable: the authenticator offers its accounts). */
  async authenticationOptions(flowId: string, ip: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    await this.#limitChallenges(ip);
    return generateAuthenticationOptions({ rpID: this.#rpId, userVerification: 'required', challenge: await this.#codes.issueChallenge(flowId, null) });
  }

  /** Verifies an assertion and answers the customer it proves. */
  async authenticate(flowId: string, answer: unknown, now = Date.now()): Promise<string> {
    const response = shaped(assertionShape, answer) as unknown as AuthenticationResponseJSON;
    const row = await this.#db
      .selectFrom('credentials')
      .select(['id', 'customer_id', 'secret', 'counter', 'lookup_key'])
      .where('type', '=', 'passkey')
      .where('lookup_key', '=', response.id)
      .executeTakeFirst();
    if (!row || row.lookup_key === null) throw refused();
    const userHandle = response.response.userHandle;
    if (userHandle && Buffer.from(userHandle, 'base64url').toString('utf8') !== row.customer_id) throw refused();
    const stored = JSON.parse(row.secret) as StoredKey;
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: (challenge) => this.#redeem(flowId, challenge),
      expectedOrigin: this.#origin,
      expectedRPID: this.#rpId,
      credential: { id: row.lookup_key, publicKey: Buffer.from(stored.publicKey, 'base64url'), counter: row.counter ?? 0, ...(stored.transports ? { transports: stored.transports } : {}) },
      requireUserVerification: true,
    }).catch(() => ({ verified: false, authenticationInfo: undefined }));
    if (!result.verified || !result.authenticationInfo) throw refused();
    await this.#credentials.passkeyUsed(row.id, result.authenticationInfo.newCounter, now);
    return row.customer_id;
  }

  async remove(customerId: string, passkeyId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      if (!(await this.#credentials.removePasskey(trx, customerId, passkeyId))) return false;
      await this.#audit.append(trx, { action: 'credential.passkey_removed', actor: customerActor(customerId), subject: { type: 'customer', id: customerId }, details: { passkey_id: passkeyId } });
      return true;
    });
  }

  /** The library hands the challenge as base64url of the bytes we gave it, i.e. of our token's text. */
  async #redeem(flowId: string, challenge: string): Promise<boolean> {
    const token = Buffer.from(challenge, 'base64url').toString('utf8');
    return (await this.#codes.redeemLink('passkey_challenge', flowId, token)) !== undefined;
  }
}

function transportsOf(secret: string): { transports?: string[] } {
  const stored = JSON.parse(secret) as StoredKey;
  return stored.transports ? { transports: stored.transports } : {};
}
