import type { LoginThrottle } from '../credentials/login-throttle.ts';
import { verifyAgainstDecoy, verifyPassword } from '../credentials/password-hasher.ts';
import { throttled } from '../credentials/sign-in-error.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Customers } from '../customers/customers.ts';
import type { CustomerSessions } from './customer-sessions.ts';

/**
 * A signed-in customer changes their password: proven by the current password (counted by the
 * login throttle like a sign-in, so the form is no way to guess it) or by a sign-in of the last ten
 * minutes. The new password meets the same policy as at sign-up; the change is one transaction
 * (customers.changeOwnPassword, audited), then every other session of the customer ends, each with its
 * tokens and grants (the one changing it stays signed in).
 */
export class PasswordChange {
  readonly #customers: Customers;
  readonly #throttle: LoginThrottle;
  readonly #sessions: CustomerSessions;

  constructor(deps: { customers: Customers; throttle: LoginThrottle; sessions: CustomerSessions }) {
    this.#customers = deps.customers;
    this.#throttle = deps.throttle;
    this.#sessions = deps.sessions;
  }

  /** Answers how many other sessions ended. `current`: the password typed, or undefined when the sign-in is fresh. */
  async change(input: { customerId: string; sessionUid: string; current: string | undefined; next: string; ip: string }): Promise<number> {
    const customer = await this.#customers.get(input.customerId);
    if (input.current !== undefined) {
      const account = this.#throttle.accountKey(customer.pool, customer.email);
      const network = this.#throttle.ipKey(input.ip);
      const decision = await this.#throttle.attempt([network, account]);
      if (!decision.allowed) throw throttled(decision.retryAfterSeconds);
      const matches = customer.passwordHash ? await verifyPassword(customer.passwordHash, input.current) : await verifyAgainstDecoy(input.current);
      if (!matches) throw new DomainError('wrong_password', 400, 'The current password is wrong');
      await this.#throttle.succeeded(account, network);
    }
    await this.#customers.changeOwnPassword(customer.id, input.next);
    return this.#sessions.endOthers(customer.id, input.sessionUid);
  }
}
