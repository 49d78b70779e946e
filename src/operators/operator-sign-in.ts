import type { Kysely } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { verifyPassword, verifyAgainstDecoy } from '../credentials/password-hasher.ts';
import type { LoginThrottle, ThrottleKey } from '../credentials/login-throttle.ts';
import { verifyTotp } from '../credentials/totp.ts';
import { DomainError, tooManyAttempts } from '../errors/domain-error.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { Database } from '../store/schema.ts';
import type { OperatorAccount, OperatorAccounts } from './operator-accounts.ts';
import type { OperatorPasskeys } from './operator-passkeys.ts';
import type { OperatorSessions } from './operator-sessions.ts';

/** How long the step between password and code may take. */
const PENDING_TTL_MS = 5 * 60_000;

const refused = () => new DomainError('invalid_credentials', 400, 'The e-mail address or password is wrong');
const wrongCode = () => new DomainError('invalid_code', 400, 'The code is wrong or was used');

/**
 * An operator's sign-in, always with a second factor: a passkey (possession plus the device's
 * biometric or PIN) alone, or a password followed by a TOTP code. Throttled like customers'
 * (per account and per network, in the database), every failure and success audited, and the
 * answer never says whether an address belongs to an operator.
 */
export class OperatorSignIn {
  readonly #db: Kysely<Database>;
  readonly #accounts: OperatorAccounts;
  readonly #passkeys: OperatorPasskeys;
  readonly #sessions: OperatorSessions;
  readonly #throttle: LoginThrottle;
  readonly #audit: AuditLog;
  readonly #key: SealingKeys;
  readonly #freeAttempts: number;

  constructor(deps: { db: Kysely<Database>; accounts: OperatorAccounts; passkeys: OperatorPasskeys; sessions: OperatorSessions; throttle: LoginThrottle; audit: AuditLog; key: SealingKeys; freeAttempts: number }) {
    this.#db = deps.db;
    this.#accounts = deps.accounts;
    this.#passkeys = deps.passkeys;
    this.#sessions = deps.sessions;
    this.#throttle = deps.throttle;
    this.#audit = deps.audit;
    this.#key = deps.key;
    this.#freeAttempts = deps.freeAttempts;
  }

  /** The TOTP secret sealed for storage on the operator's row. */
  sealTotp(operatorId: string, secret: string): string {
    return seal(this.#key, secret, `operator-totp:${operatorId}`);
  }

  /** Step one of two: the password. Answers a ticket (sealed, short-lived) the code step takes. */
  async password(email: string, password: string, ip: string, now = Date.now()): Promise<string> {
    const account = this.#throttle.keyFor('operator', email.toLowerCase(), this.#freeAttempts);
    const network = this.#throttle.ipKey(ip);
    await this.#admit([network, account], now);
    const found = await this.#accounts.secretsByEmail(email);
    const ok = found?.passwordHash && found.totpSecret ? await verifyPassword(found.passwordHash, password) : await verifyAgainstDecoy(password);
    if (!ok || !found) {
      await this.#failed(found?.account, 'password', now);
      throw refused();
    }
    return seal(this.#key, JSON.stringify({ id: found.account.id, exp: now + PENDING_TTL_MS }), 'operator-pending');
  }

  /** Whose password a ticket proves, while it lasts. */
  pending(ticket: string | undefined, now = Date.now()): string | undefined {
    if (!ticket) return undefined;
    try {
      const data = JSON.parse(open(this.#key, ticket, 'operator-pending')) as { id: string; exp: number };
      return data.exp > now ? data.id : undefined;
    } catch {
      return undefined;
    }
  }

  /** Step two: the TOTP code (good once); answers the console session's cookie value. */
  async totp(ticket: string | undefined, code: string, ip: string, now = Date.now()): Promise<{ operator: OperatorAccount; session: string }> {
    const id = this.pending(ticket, now);
    if (!id) throw new DomainError('sign_in_expired', 400, 'Sign in again');
    const account = this.#throttle.keyFor('operator-code', id, this.#freeAttempts);
    const network = this.#throttle.ipKey(ip);
    await this.#admit([network, account], now);
    const found = await this.#accounts.secretsById(id);
    const result = found?.totpSecret ? verifyTotp(open(this.#key, found.totpSecret, `operator-totp:${id}`), code, { now, ...(found.totpStep !== null ? { lastUsedStep: found.totpStep } : {}) }) : { ok: false as const };
    if (!found || !result.ok || !(await this.#accounts.useTotpStep(id, result.step))) {
      await this.#failed(found?.account, 'totp', now);
      throw wrongCode();
    }
    await this.#throttle.succeeded(this.#throttle.keyFor('operator', found.account.email, this.#freeAttempts), network);
    await this.#throttle.succeeded(account, network);
    return { operator: found.account, session: await this.start(found.account, 'totp', now) };
  }

  passkeyOptions(flowId: string, ip: string) {
    return this.#passkeys.authenticationOptions(flowId, ip);
  }

  /** A passkey alone (two factors in one); answers the console session's cookie value. */
  async passkey(flowId: string, answer: unknown, now = Date.now()): Promise<{ operator: OperatorAccount; session: string }> {
    let id: string;
    try {
      id = await this.#passkeys.authenticate(flowId, answer, now);
    } catch (error) {
      await this.#failed(undefined, 'passkey', now);
      throw error;
    }
    const found = await this.#accounts.secretsById(id);
    if (!found) throw new DomainError('passkey_refused', 400, 'The passkey could not be verified');
    return { operator: found.account, session: await this.start(found.account, 'passkey', now) };
  }

  /** A console session for an operator who just proved who they are (here, or by taking an invitation). */
  async start(operator: OperatorAccount, secondFactor: string, now = Date.now()): Promise<string> {
    return this.#db.transaction().execute(async (trx) => {
      const session = await this.#sessions.start(trx, operator.id, secondFactor, now);
      await this.#accounts.signedIn(trx, operator.id, now);
      await this.#audit.append(trx, { action: 'operator.signed_in', actor: { type: 'operator', id: `operator:${operator.id}` }, subject: { type: 'operator', id: operator.id }, details: { second_factor: secondFactor } }, now);
      return session;
    });
  }

  async #admit(keys: ThrottleKey[], now: number): Promise<void> {
    const decision = await this.#throttle.attempt(keys, now);
    if (!decision.allowed) throw tooManyAttempts(decision.retryAfterSeconds);
  }

  async #failed(operator: OperatorAccount | undefined, method: string, now: number): Promise<void> {
    await this.#db.transaction().execute((trx) =>
      this.#audit.append(trx, { action: 'operator.sign_in_failed', actor: { type: 'system' }, ...(operator ? { subject: { type: 'operator', id: operator.id } } : {}), details: { method } }, now),
    );
  }
}
