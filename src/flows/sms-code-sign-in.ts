import type { CustomerService } from '../customers/customer.service.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Locale } from '../pages/locale.ts';
import type { CodeDelivery } from './code-delivery.ts';
import type { InteractionFlowStore } from './interaction-flow.store.ts';

/**
 * Sign-in with a code texted to a phone number the customer proved before. The page after
 * sending is the same whether or not the number belongs to anyone; only a verified number of an
 * active account gets a text (an SMS costs money, and it must not reach a stranger's phone).
 */
export class SmsCodeSignIn {
  readonly #delivery: CodeDelivery;
  readonly #customers: CustomerService;
  readonly #flows: InteractionFlowStore;
  readonly #pool: string;

  constructor(deps: { delivery: CodeDelivery; customers: CustomerService; flows: InteractionFlowStore; pool: string }) {
    this.#delivery = deps.delivery;
    this.#customers = deps.customers;
    this.#flows = deps.flows;
    this.#pool = deps.pool;
  }

  async start(input: { uid: string; phone: string; ip: string; locale: Locale }): Promise<void> {
    const customer = await this.#customers.findByVerifiedPhone(input.phone, this.#pool);
    const active = customer?.status === 'active';
    await this.#delivery.send({
      purpose: 'phone_sign_in',
      flowId: input.uid,
      channel: 'sms',
      target: input.phone,
      customerId: active ? customer.id : null,
      kind: active ? 'phone_code' : undefined,
      locale: input.locale,
      ip: input.ip,
    });
    await this.#flows.set(input.uid, { state: 'phone_code_sent', phone: input.phone });
  }

  /** The customer the code proves; the number must still be theirs and verified. */
  async verify(uid: string, code: string, ip: string): Promise<string> {
    const row = await this.#delivery.check(uid, 'phone_sign_in', code, ip);
    const customer = row.customer_id ? await this.#customers.findByVerifiedPhone(row.target, this.#pool) : undefined;
    if (!customer || customer.id !== row.customer_id || customer.status !== 'active') {
      throw new DomainError('code_expired', 400, 'The code has expired or was already used');
    }
    return customer.id;
  }
}
