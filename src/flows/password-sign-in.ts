import type { LoginThrottle } from '../credentials/login-throttle.ts';
import { importedFormat } from '../credentials/imported-hashes.ts';
import { verifyAgainstDecoy, verifyPassword } from '../credentials/password-hasher.ts';
import type { CustomerRecord } from '../customers/customer-store.ts';
import type { Customers } from '../customers/customers.ts';
import { SignInError, throttled } from '../credentials/sign-in-error.ts';
import type { Actor, AuditLog } from '../events/audit-log.ts';

/** Whoever is trying to sign in: not known until they succeed. */
const ANONYMOUS: Actor = { type: 'customer', id: null };

/**
 * E-mail + password sign-in. An unknown e-mail and a wrong password get the same answer after the
 * same argon2id work; the attempt is counted (or refused) before any password is verified.
 */
export class PasswordSignIn {
  readonly #customers: Customers;
  readonly #throttle: LoginThrottle;

  readonly #audit: AuditLog;

  constructor(customers: Customers, throttle: LoginThrottle, audit: AuditLog) {
    this.#customers = customers;
    this.#throttle = throttle;
    this.#audit = audit;
  }

  async signIn(input: { email: string; password: string; ip: string; pool: string }): Promise<CustomerRecord> {
    const account = this.#throttle.accountKey(input.pool, input.email);
    const network = this.#throttle.ipKey(input.ip);
    const decision = await this.#throttle.attempt([network, account]);
    if (!decision.allowed) {
      await this.#audit.record({ action: 'sign_in.throttled', actor: ANONYMOUS, details: { method: 'pwd' } });
      throw throttled(decision.retryAfterSeconds);
    }
    const customer = await this.#customers.findByEmail(input.email, input.pool);
    const matches = customer?.passwordHash
      ? await verifyPassword(customer.passwordHash, input.password)
      : await verifyAgainstDecoy(input.password);
    if (!customer || !matches) {
      // A failure against a known account names it; an unknown address leaves no trace of itself.
      await this.#audit.record({ action: 'sign_in.failed', actor: ANONYMOUS, ...(customer ? { subject: { type: 'customer', id: customer.id } } : {}), details: { method: 'pwd', reason: customer ? 'wrong_password' : 'unknown_account' } });
      throw new SignInError('invalid_credentials', 401, 'Wrong e-mail address or password');
    }
    await this.#throttle.succeeded(account, network);
    await this.#upgradeImported(customer, input.password);
    // A disabled account is stopped after this, with every other way in (after-sign-in/active-account.ts).
    return customer;
  }

  /**
   * A hash imported from another platform lives until this sign-in: re-hashed to argon2id now, or,
   * for a weak one the operator chose to reset (`--weak-hashes reset`), the customer is sent to
   * choose a new password (recovery) instead of being signed in with it.
   */
  async #upgradeImported(customer: CustomerRecord, password: string): Promise<void> {
    const imported = customer.passwordHash ? importedFormat(customer.passwordHash) : undefined;
    if (!imported) return;
    if (imported.weak && imported.policy === 'reset') {
      await this.#audit.record({ action: 'sign_in.failed', actor: ANONYMOUS, subject: { type: 'customer', id: customer.id }, details: { method: 'pwd', reason: 'password_reset_required' } });
      throw new SignInError('reset_required', 403, 'Choose a new password: the imported one was kept in a weak form');
    }
    await this.#customers.upgradeImportedPassword(customer.id, customer.passwordHash!, password);
  }
}
