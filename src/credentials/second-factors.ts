import type { Kysely } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { DomainError, tooManyAttempts } from '../errors/domain-error.ts';
import type { Database } from '../store/schema.ts';
import { customerActor, type AuditLog } from '../events/audit-log.ts';
import type { CredentialStore } from './credential-store.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes.ts';
import { generateTotpSecret, totpUri, verifyTotp } from './totp.ts';
import { totpQrSvg } from './totp-qr.ts';

export interface TotpEnrolment {
  /** Sealed (secret, customer, expiry): carried by the enrolment form, so nothing is stored until confirmed. */
  ticket: string;
  secret: string;
  uri: string;
  qrSvg: string;
}

export interface SecondFactorStatus {
  totp: boolean;
  recoveryCodesLeft: number;
}

const ENROLMENT_TTL_MS = 15 * 60_000;

/**
 * TOTP and recovery codes. TOTP secrets are sealed at rest (AES-GCM under PORTVAKT_SECRET) and the
 * last accepted time step is kept, so a code works once. Recovery codes are keyed hashes, used
 * up with one DELETE … RETURNING: of two concurrent uses of one code only one succeeds.
 */
export class SecondFactors {
  readonly #db: Kysely<Database>;
  readonly #credentials: CredentialStore;
  readonly #secretKey: SealingKeys;
  readonly #codeKey: Buffer;
  readonly #throttle: LoginThrottle;
  readonly #issuer: string;
  readonly #freeAttempts: number;

  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; credentials: CredentialStore; secretKey: SealingKeys; codeKey: Buffer; throttle: LoginThrottle; issuerName: string; freeAttempts: number; audit: AuditLog }) {
    this.#db = deps.db;
    this.#credentials = deps.credentials;
    this.#audit = deps.audit;
    this.#secretKey = deps.secretKey;
    this.#codeKey = deps.codeKey;
    this.#throttle = deps.throttle;
    this.#issuer = deps.issuerName.replace(/:/g, '');
    this.#freeAttempts = deps.freeAttempts;
  }

  async status(customerId: string): Promise<SecondFactorStatus> {
    const rows = await this.#db.selectFrom('credentials').select('type').where('customer_id', '=', customerId).where('type', 'in', ['totp', 'recovery_code']).execute();
    return { totp: rows.some((row) => row.type === 'totp'), recoveryCodesLeft: rows.filter((row) => row.type === 'recovery_code').length };
  }

  async beginTotp(customerId: string, accountName: string, now = Date.now()): Promise<TotpEnrolment> {
    const secret = generateTotpSecret();
    const uri = totpUri({ secret, accountName: accountName.replace(/:/g, ''), issuer: this.#issuer });
    const ticket = seal(this.#secretKey, JSON.stringify({ secret, customerId, exp: now + ENROLMENT_TTL_MS }), 'totp-enrolment');
    return { ticket, secret, uri, qrSvg: await totpQrSvg(uri) };
  }

  /**
   * The first code from the app proves the secret arrived; TOTP is on and 10 recovery codes are
   * returned, once. `replace: false` (enrolment inside a sign-in, where only one factor is proven)
   * never overwrites an authenticator that is already there.
   */
  async confirmTotp(customerId: string, ticket: string, code: string, options: { replace: boolean }, now = Date.now()): Promise<string[]> {
    const secret = this.#openTicket(customerId, ticket, now);
    const result = verifyTotp(secret, code, { now });
    if (!result.ok) throw new DomainError('invalid_code', 400, 'Wrong code');
    const recoveryCodes = generateRecoveryCodes(10);
    await this.#db.transaction().execute(async (trx) => {
      if (!options.replace) {
        const existing = await trx.selectFrom('credentials').select('id').where('customer_id', '=', customerId).where('type', '=', 'totp').executeTakeFirst();
        if (existing) throw new DomainError('already_enrolled', 409, 'An authenticator is already set up');
      }
      const id = crypto.randomUUID();
      const totp = { id, secret: seal(this.#secretKey, secret, `totp:${id}`), step: result.step };
      await this.#credentials.replaceSecondFactors(trx, customerId, totp, recoveryCodes.map((recovery) => hashRecoveryCode(this.#codeKey, recovery)), now);
      await this.#audit.append(trx, { action: 'credential.totp_enabled', actor: customerActor(customerId), subject: subjectOf(customerId), details: { replaced: options.replace } }, now);
    });
    return recoveryCodes;
  }

  /** Replaces the recovery codes (the old ones stop working) and returns the new ones, once. */
  async renewRecoveryCodes(customerId: string, now = Date.now()): Promise<string[]> {
    const codes = generateRecoveryCodes(10);
    await this.#db.transaction().execute(async (trx) => {
      await this.#credentials.replaceRecoveryCodes(trx, customerId, codes.map((recovery) => hashRecoveryCode(this.#codeKey, recovery)), now);
      await this.#audit.append(trx, { action: 'credential.recovery_codes_renewed', actor: customerActor(customerId), subject: subjectOf(customerId) }, now);
    });
    return codes;
  }

  async disable(customerId: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#credentials.removeSecondFactors(trx, customerId);
      await this.#audit.append(trx, { action: 'credential.totp_disabled', actor: customerActor(customerId), subject: subjectOf(customerId) });
    });
  }

  /**
   * Checks a second factor: six digits are a TOTP code, anything else a recovery code. Counted
   * per customer and per network before the check, like a password.
   */
  async verify(customerId: string, input: string, ip: string, now = Date.now()): Promise<'otp' | 'recovery_code'> {
    const account = this.#throttle.keyFor('mfa', customerId, this.#freeAttempts);
    const network = this.#throttle.ipKey(ip);
    const decision = await this.#throttle.attempt([network, account]);
    if (!decision.allowed) throw tooManyAttempts(decision.retryAfterSeconds);
    const code = input.replace(/\s/g, '');
    const used = /^\d{6}$/.test(code) ? await this.#useTotp(customerId, code, now) : await this.#useRecoveryCode(customerId, code, now);
    if (!used) {
      await this.#audit.record({ action: 'second_factor.rejected', actor: customerActor(customerId), subject: subjectOf(customerId) });
      throw new DomainError('invalid_code', 400, 'Wrong code');
    }
    await this.#throttle.succeeded(account, network);
    if (used === 'recovery_code') await this.#audit.record({ action: 'credential.recovery_code_used', actor: customerActor(customerId), subject: subjectOf(customerId) });
    return used;
  }

  async #useTotp(customerId: string, code: string, now: number): Promise<'otp' | undefined> {
    const row = await this.#db.selectFrom('credentials').select(['id', 'secret', 'counter']).where('customer_id', '=', customerId).where('type', '=', 'totp').executeTakeFirst();
    if (!row) return undefined;
    const secret = open(this.#secretKey, row.secret, `totp:${row.id}`);
    const result = verifyTotp(secret, code, { now, ...(row.counter === null ? {} : { lastUsedStep: row.counter }) });
    if (!result.ok) return undefined;
    // Replay protection that holds under concurrency: only one request moves the step forward.
    return (await this.#credentials.advanceTotp(row.id, result.step, now)) ? 'otp' : undefined;
  }

  async #useRecoveryCode(customerId: string, code: string, _now: number): Promise<'recovery_code' | undefined> {
    if (code.length === 0 || code.length > 40) return undefined;
    return (await this.#credentials.useRecoveryCode(customerId, hashRecoveryCode(this.#codeKey, code))) ? 'recovery_code' : undefined;
  }

  #openTicket(customerId: string, ticket: string, now: number): string {
    try {
      const data = JSON.parse(open(this.#secretKey, ticket, 'totp-enrolment')) as { secret: string; customerId: string; exp: number };
      if (data.customerId === customerId && data.exp > now) return data.secret;
    } catch {
      // fall through: a forged, foreign or mangled ticket is simply not valid
    }
    throw new DomainError('enrolment_expired', 400, 'The set-up took too long; start again');
  }
}

function subjectOf(customerId: string) {
  return { type: 'customer', id: customerId };
}
