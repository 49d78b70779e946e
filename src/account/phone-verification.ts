import type { CustomerRecord } from '../customers/customer-store.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { CodeDelivery } from '../credentials/code-delivery.ts';
import type { Locale } from '../i18n/locale.ts';

/**
 * A customer adds or changes their mobile number on the account page: a code is texted to the new
 * number, and only the code makes it theirs (verified), so nobody can claim a number they do not
 * hold, and SMS sign-in only ever texts a proven number.
 */
export class PhoneVerification {
  readonly #delivery: CodeDelivery;
  readonly #customers: Customers;

  constructor(deps: { delivery: CodeDelivery; customers: Customers }) {
    this.#delivery = deps.delivery;
    this.#customers = deps.customers;
  }

  async start(customer: CustomerRecord, phone: string, ip: string, locale: Locale): Promise<void> {
    await this.#delivery.send({
      purpose: 'verify_phone',
      flowId: flowOf(customer.id),
      channel: 'sms',
      target: phone,
      customerId: customer.id,
      kind: 'phone_code',
      locale,
      ip,
    });
  }

  /** The number the code is out for, if one is. */
  async pending(customerId: string): Promise<string | undefined> {
    return (await this.#delivery.live(flowOf(customerId), 'verify_phone'))?.target;
  }

  async confirm(customerId: string, code: string, ip: string): Promise<string> {
    const row = await this.#delivery.check(flowOf(customerId), 'verify_phone', code, ip);
    if (row.customer_id !== customerId) throw new DomainError('code_expired', 400, 'The code has expired or was already used');
    await this.#customers.setVerifiedPhone(customerId, row.target);
    return row.target;
  }
}

function flowOf(customerId: string): string {
  return `phone:${customerId}`;
}
