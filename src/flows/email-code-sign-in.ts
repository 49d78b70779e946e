import type { CustomerRecord } from '../customers/customer-store.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Locale } from '../i18n/locale.ts';
import type { OneTimeCodesTable } from '../store/schema.ts';
import type { Actor } from '../events/audit-log.ts';

/** A sign-up is done by the person signing up; their id does not exist until the row does. */
const SIGN_UP: Actor = { type: 'customer', id: null };
import type { CodeFlowDeps, CodeRequest } from '../credentials/code-delivery.ts';

/** What a sign-up form gave, held with the code until the address is proven. */
export interface PendingSignUp {
  given_name?: string;
  family_name?: string;
  passwordHash?: string;
  locale: Locale;
  /** The consent choices made on the sign-up form, recorded once the account exists. */
  consents?: Array<{ purpose: string; version: number; granted: boolean }>;
}

export interface ProvenAddress {
  customer: CustomerRecord;
  created: boolean;
  /** For a new account: what the sign-up form gave. */
  signUp?: Partial<PendingSignUp>;
}

/**
 * Passwordless sign-in and verify-first sign-up, one flow: a code (and link) goes to the address;
 * whoever enters it proves they hold the address. An existing customer is signed in, a new
 * address becomes a customer with a verified e-mail. The page after sending is the same whether
 * or not the address has an account, so nothing is revealed (the e-mail itself says which).
 */
export class EmailCodeSignIn {
  readonly #deps: CodeFlowDeps;

  constructor(deps: CodeFlowDeps) {
    this.#deps = deps;
  }

  async start(input: { uid: string; email: string; signUp?: PendingSignUp; ip: string; locale: Locale; brand?: CodeRequest['brand'] }): Promise<void> {
    const customer = await this.#deps.customers.findByEmail(input.email, this.#deps.pool);
    const active = customer?.status === 'active';
    // "Send a new code" during a sign-up keeps what the sign-up form gave.
    const previous = input.signUp ? undefined : await this.#deps.delivery.live(input.uid, 'email_sign_in');
    const carried = previous?.target === input.email && previous.payload ? (JSON.parse(previous.payload) as PendingSignUp) : undefined;
    await this.#deps.delivery.send({
      brand: input.brand,
      purpose: 'email_sign_in',
      flowId: input.uid,
      channel: 'email',
      target: input.email,
      customerId: active ? customer.id : null,
      // A disabled account gets no mail; the page looks the same.
      kind: customer ? (active ? 'sign_in_code' : undefined) : 'sign_up_code',
      locale: input.locale,
      ip: input.ip,
      link: (token) => `${this.#deps.issuer}/login/${input.uid}/email-link?token=${token}`,
      payload: customer ? undefined : (input.signUp ?? carried ?? { locale: input.locale }),
    });
    await this.#deps.flows.set(input.uid, { state: 'email_code_sent', email: input.email });
  }

  async verifyCode(uid: string, code: string, ip: string): Promise<ProvenAddress> {
    return this.#complete(await this.#deps.delivery.check(uid, 'email_sign_in', code, ip));
  }

  async redeemLink(uid: string, token: string): Promise<ProvenAddress> {
    return this.#complete(await this.#deps.delivery.redeemLink(uid, 'email_sign_in', token));
  }

  /** The address is proven: sign in its customer (verifying it), or create one. */
  async #complete(row: OneTimeCodesTable): Promise<ProvenAddress> {
    const existing = await this.#deps.customers.findByEmail(row.target, this.#deps.pool);
    if (existing) return { customer: await this.#verified(existing), created: false };
    const pending = (row.payload ? JSON.parse(row.payload) : {}) as Partial<PendingSignUp>;
    try {
      const customer = await this.#deps.customers.insertNew(
        {
          email: row.target,
          email_verified: true,
          ...(pending.given_name ? { given_name: pending.given_name } : {}),
          ...(pending.family_name ? { family_name: pending.family_name } : {}),
          ...(pending.locale ? { locale: pending.locale } : {}),
        },
        pending.passwordHash ?? null,
        SIGN_UP,
        this.#deps.pool,
      );
      return { customer, created: true, signUp: pending };
    } catch (error) {
      // The same address registered in another tab a moment ago: that account is the one proven.
      const winner = isUniqueViolation(error) || (error instanceof DomainError && error.code === 'email_taken') ? await this.#deps.customers.findByEmail(row.target, this.#deps.pool) : undefined;
      if (!winner) throw error;
      return { customer: await this.#verified(winner), created: false };
    }
  }

  async #verified(customer: CustomerRecord): Promise<CustomerRecord> {
    if (customer.status !== 'active') throw new DomainError('account_disabled', 403, 'This account is disabled');
    if (customer.emailVerifiedAt !== null) return customer;
    const now = Date.now();
    await this.#deps.customers.markEmailVerified(customer.id, customer.email, now);
    return { ...customer, emailVerifiedAt: now };
  }
}
