import type { CustomerRecord } from '../customers/customer.repo.ts';
import type { CustomerService } from '../customers/customer.service.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Locale } from '../pages/locale.ts';
import type { OneTimeCodesTable } from '../store/schema.ts';
import type { CodeDelivery } from './code-delivery.ts';
import type { InteractionFlowStore } from './interaction-flow.store.ts';

/**
 * "Forgot password": a code (and link) goes to the address if it has an active account; the page
 * says "if there is an account, we sent a code" either way, and a code row is written either way
 * (for an unknown address nobody ever learns its code). Entering the code allows one new
 * password; setting it ends every session and token of the customer.
 */
export class PasswordRecovery {
  readonly #delivery: CodeDelivery;
  readonly #customers: CustomerService;
  readonly #flows: InteractionFlowStore;
  readonly #issuer: string;
  readonly #pool: string;

  constructor(deps: { delivery: CodeDelivery; customers: CustomerService; flows: InteractionFlowStore; issuer: string; pool: string }) {
    this.#delivery = deps.delivery;
    this.#customers = deps.customers;
    this.#flows = deps.flows;
    this.#issuer = deps.issuer;
    this.#pool = deps.pool;
  }

  async start(input: { uid: string; email: string; ip: string; locale: Locale }): Promise<void> {
    const customer = await this.#customers.findByEmail(input.email, this.#pool);
    const active = customer?.status === 'active';
    await this.#delivery.send({
      purpose: 'password_reset',
      flowId: input.uid,
      channel: 'email',
      target: input.email,
      customerId: active ? customer.id : null,
      kind: active ? 'password_reset' : undefined,
      locale: input.locale,
      ip: input.ip,
      link: (token) => `${this.#issuer}/login/${input.uid}/reset-link?token=${token}`,
    });
    await this.#flows.set(input.uid, { state: 'reset_code_sent', email: input.email });
  }

  async verifyCode(uid: string, code: string, ip: string): Promise<void> {
    await this.#proven(uid, await this.#delivery.check(uid, 'password_reset', code, ip));
  }

  async redeemLink(uid: string, token: string): Promise<void> {
    await this.#proven(uid, await this.#delivery.redeemLink(uid, 'password_reset', token));
  }

  /** Sets the new password (once per proven code) and revokes everything the customer held. */
  async reset(uid: string, customerId: string, password: string): Promise<CustomerRecord> {
    const passwordHash = await this.#customers.hashNewPassword(password);
    // Claim the step first: of two concurrent submissions only one sets a password.
    if (!(await this.#flows.advance(uid, 'reset_password', null))) {
      throw new DomainError('wrong_step', 400, 'This password reset was already completed');
    }
    return this.#customers.resetPassword(customerId, passwordHash);
  }

  async #proven(uid: string, row: OneTimeCodesTable): Promise<void> {
    // Only a row with a customer was ever sent; one without cannot match, but stay explicit.
    if (row.customer_id === null) throw new DomainError('code_expired', 400, 'The code has expired or was already used');
    await this.#flows.set(uid, { state: 'reset_password', customerId: row.customer_id });
  }
}
