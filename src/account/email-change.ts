import type { CodeDelivery } from '../credentials/code-delivery.ts';
import type { CustomerRecord } from '../customers/customer-store.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Locale } from '../i18n/locale.ts';
import type { SecurityNotices } from './security-notices.ts';

/**
 * A customer moves their account to another e-mail address on the account page: a code goes to the
 * new address, and only the code moves the account there (verified), so nobody takes an address
 * they do not hold. Then, as for recovery, every session ends, and the old address is told.
 * Whether the new address has an account is said only after its code is entered (to its holder).
 */
export class EmailChange {
  readonly #delivery: CodeDelivery;
  readonly #customers: Customers;
  readonly #notices: SecurityNotices;

  constructor(deps: { delivery: CodeDelivery; customers: Customers; notices: SecurityNotices }) {
    this.#delivery = deps.delivery;
    this.#customers = deps.customers;
    this.#notices = deps.notices;
  }

  async start(customer: CustomerRecord, email: string, ip: string, locale: Locale): Promise<void> {
    if (email === customer.email) throw new DomainError('same_email', 400, 'That is the address the account has');
    await this.#delivery.send({ purpose: 'change_email', flowId: flowOf(customer.id), channel: 'email', target: email, customerId: customer.id, kind: 'change_email', locale, ip });
  }

  /** The address the code is out for, if one is. */
  async pending(customerId: string): Promise<string | undefined> {
    return (await this.#delivery.live(flowOf(customerId), 'change_email'))?.target;
  }

  /** Moves the account to the proven address; answers it. */
  async confirm(customerId: string, code: string, ip: string): Promise<string> {
    const row = await this.#delivery.check(flowOf(customerId), 'change_email', code, ip);
    if (row.customer_id !== customerId) throw new DomainError('code_expired', 400, 'The code has expired or was already used');
    const before = (await this.#customers.get(customerId)).email;
    await this.#customers.changeProvenEmail(customerId, row.target);
    await this.#notices.send(customerId, 'email_changed', row.target, before);
    return row.target;
  }
}

function flowOf(customerId: string): string {
  return `email:${customerId}`;
}
