import type { Kysely } from 'kysely';
import type { Customers } from '../customers/customers.ts';
import type { Messenger } from '../messaging/messenger.ts';
import type { NoticeKind } from '../messaging/templates/notice-texts.ts';
import type { MessageBrand } from '../messaging/templates/render-message.ts';
import type { Database } from '../store/schema.ts';

/**
 * E-mails the customer when a way to sign in is added or a recovery code is used (NIST 800-63B
 * asks for a notice when an authenticator is bound), so a change they did not make is noticed.
 */
export class SecurityNotices {
  readonly #db: Kysely<Database>;
  readonly #customers: Customers;
  readonly #messenger: Messenger;
  readonly #brand: MessageBrand;
  readonly #accountUrl: string;

  constructor(deps: { db: Kysely<Database>; customers: Customers; messenger: Messenger; brand: MessageBrand; issuer: string }) {
    this.#db = deps.db;
    this.#customers = deps.customers;
    this.#messenger = deps.messenger;
    this.#brand = deps.brand;
    this.#accountUrl = `${deps.issuer}/account/security`;
  }

  /** `to`: another address than the customer's own (the old one, after a change of address). */
  async send(customerId: string, kind: NoticeKind, detail = '', to?: string): Promise<void> {
    const customer = await this.#customers.get(customerId);
    const locale = customer.locale?.startsWith('sv') ? 'sv' : 'en';
    await this.#messenger.sendNotice(this.#db, { kind, locale, brand: this.#brand, to: to ?? customer.email, detail, accountUrl: this.#accountUrl });
  }
}
