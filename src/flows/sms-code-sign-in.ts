import { DomainError } from '../errors/domain-error.ts';
import type { Locale } from '../i18n/locale.ts';
import type { CodeFlowDeps, CodeRequest } from '../credentials/code-delivery.ts';

/**
 * Sign-in with a code texted to a phone number the customer proved before. The page after
 * sending is the same whether or not the number belongs to anyone; only a verified number of an
 * active account gets a text (an SMS costs money, and it must not reach a stranger's phone).
 */
export class SmsCodeSignIn {
  readonly #deps: CodeFlowDeps;

  constructor(deps: CodeFlowDeps) {
    this.#deps = deps;
  }

  async start(input: { uid: string; phone: string; ip: string; locale: Locale; brand?: CodeRequest['brand'] }): Promise<void> {
    const customer = await this.#deps.customers.findByVerifiedPhone(input.phone, this.#deps.pool);
    const active = customer?.status === 'active';
    await this.#deps.delivery.send({
      brand: input.brand,
      purpose: 'phone_sign_in',
      flowId: input.uid,
      channel: 'sms',
      target: input.phone,
      customerId: active ? customer.id : null,
      kind: active ? 'phone_code' : undefined,
      locale: input.locale,
      ip: input.ip,
    });
    await this.#deps.flows.set(input.uid, { state: 'phone_code_sent', phone: input.phone });
  }

  /** The customer the code proves; the number must still be theirs and verified. */
  async verify(uid: string, code: string, ip: string): Promise<string> {
    const row = await this.#deps.delivery.check(uid, 'phone_sign_in', code, ip);
    const customer = row.customer_id ? await this.#deps.customers.findByVerifiedPhone(row.target, this.#deps.pool) : undefined;
    if (!customer || customer.id !== row.customer_id || customer.status !== 'active') {
      throw new DomainError('code_expired', 400, 'The code has expired or was already used');
    }
    return customer.id;
  }
}
