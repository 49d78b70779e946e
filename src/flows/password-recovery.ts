import type { CustomerRecord } from '../customers/customer-store.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Locale } from '../i18n/locale.ts';
import type { OneTimeCodesTable } from '../store/schema.ts';
import type { CodeFlowDeps, CodeRequest } from '../credentials/code-delivery.ts';

/**
 * "Forgot password": a code (and link) goes to the address if it has an active account; the page
 * says "if there is an account, we sent a code" either way, and a code row is written either way
 * (for an unknown address nobody ever learns its code). Entering the code allows one new
 * password; setting it ends every session and token of the customer.
 */
export class PasswordRecovery {
  readonly #deps: CodeFlowDeps;

  constructor(deps: CodeFlowDeps) {
    this.#deps = deps;
  }

  async start(input: { uid: string; email: string; ip: string; locale: Locale; brand?: CodeRequest['brand'] }): Promise<void> {
    const customer = await this.#deps.customers.findByEmail(input.email, this.#deps.pool);
    const active = customer?.status === 'active';
    await this.#deps.delivery.send({
      brand: input.brand,
      purpose: 'password_reset',
      flowId: input.uid,
      channel: 'email',
      target: input.email,
      customerId: active ? customer.id : null,
      kind: active ? 'password_reset' : undefined,
      locale: input.locale,
      ip: input.ip,
      link: (token) => `${this.#deps.issuer}/login/${input.uid}/reset-link?token=${token}`,
    });
    await this.#deps.flows.set(input.uid, { state: 'reset_code_sent', email: input.email });
  }

  async verifyCode(uid: string, code: string, ip: string): Promise<void> {
    await this.#proven(uid, await this.#deps.delivery.check(uid, 'password_reset', code, ip));
  }

  async redeemLink(uid: string, token: string): Promise<void> {
    await this.#proven(uid, await this.#deps.delivery.redeemLink(uid, 'password_reset', token));
  }

  /** Sets the new password (once per proven code) and revokes everything the customer held. */
  async reset(uid: string, customerId: string, provenEmail: string, password: string): Promise<CustomerRecord> {
    const passwordHash = await this.#deps.customers.hashNewPassword(password);
    // Claim the step first: of two concurrent submissions only one sets a password.
    if (!(await this.#deps.flows.advance(uid, 'reset_password', null))) {
      throw new DomainError('wrong_step', 400, 'This password reset was already completed');
    }
    return this.#deps.customers.resetPassword(customerId, passwordHash, provenEmail);
  }

  /**
   * The code proves the address it went to. It resets the password only while that address is
   * still the account's (a code sent to a replaced address, perhaps the reason it was replaced,
   * does nothing) and the account is active.
   */
  async #proven(uid: string, row: OneTimeCodesTable): Promise<void> {
    const customer = row.customer_id ? await this.#deps.customers.findById(row.customer_id) : undefined;
    if (!customer || customer.email !== row.target || customer.status !== 'active') {
      throw new DomainError('code_expired', 400, 'The code has expired or was already used');
    }
    await this.#deps.flows.set(uid, { state: 'reset_password', customerId: customer.id, email: row.target });
  }
}
