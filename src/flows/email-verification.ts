import type { Transaction } from 'kysely';
import type { CustomerRecord } from '../customers/customer-store.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import { LOCALES, type Locale } from '../i18n/locale.ts';
import type { Database, OneTimeCodesTable } from '../store/schema.ts';
import type { CodeDelivery } from '../credentials/code-delivery.ts';

/**
 * Verifying an address a customer already has (created through the API, or changed): a code and
 * a link go to it. The link works in any browser; the code is entered on the account page. Either
 * marks exactly that address verified, so a link for an address since replaced verifies nothing.
 */
export class EmailVerification {
  readonly #delivery: CodeDelivery;
  readonly #customers: Customers;
  readonly #issuer: string;

  constructor(deps: { delivery: CodeDelivery; customers: Customers; issuer: string }) {
    this.#delivery = deps.delivery;
    this.#customers = deps.customers;
    this.#issuer = deps.issuer;
  }

  /** Sent by the customer from the account page: throttled like every code request. */
  async request(customer: CustomerRecord, ip: string, locale: Locale): Promise<void> {
    if (customer.emailVerifiedAt !== null) throw new DomainError('already_verified', 409, 'The address is already verified');
    await this.#delivery.send({ ...this.#request(customer, locale), ip });
  }

  /** Asked for through the management API (a trusted caller: no throttle). */
  async requestTrusted(customer: CustomerRecord): Promise<void> {
    if (customer.emailVerifiedAt !== null) throw new DomainError('already_verified', 409, 'The address is already verified');
    await this.#delivery.sendTrusted(this.#request(customer, localeOf(customer)));
  }

  /** Sent by the system in the transaction that changed the address (no throttle: no one asked). */
  async sendWithin(trx: Transaction<Database>, customer: CustomerRecord): Promise<void> {
    await this.#delivery.sendWithin(trx, this.#request(customer, localeOf(customer)));
  }

  async confirmCode(customerId: string, code: string, ip: string): Promise<void> {
    await this.#verified(await this.#delivery.check(flowOf(customerId), 'verify_email', code, ip));
  }

  async confirmLink(token: string): Promise<void> {
    await this.#verified(await this.#delivery.redeemLink(undefined, 'verify_email', token));
  }

  #request(customer: CustomerRecord, locale: Locale) {
    return {
      purpose: 'verify_email' as const,
      flowId: flowOf(customer.id),
      channel: 'email' as const,
      target: customer.email,
      customerId: customer.id,
      kind: 'verify_email' as const,
      locale,
      link: (token: string) => `${this.#issuer}/verify-email?token=${token}`,
    };
  }

  async #verified(row: OneTimeCodesTable): Promise<void> {
    if (row.customer_id === null) throw new DomainError('code_expired', 400, 'The code has expired or was already used');
    await this.#customers.markEmailVerified(row.customer_id, row.target);
  }
}

function localeOf(customer: CustomerRecord): Locale {
  return LOCALES.find((candidate) => customer.locale?.startsWith(candidate)) ?? 'en';
}

function flowOf(customerId: string): string {
  return `verify:${customerId}`;
}
