import type { LoginThrottle } from '../credentials/login-throttle.ts';
import type { CustomerRecord } from '../customers/customer.repo.ts';
import type { CustomerService } from '../customers/customer.service.ts';
import type { CustomerCreate } from '../customers/customer.schemas.ts';
import { throttled } from './password-sign-in.ts';

/**
 * Sign-up on the hosted page. Each attempt counts against the client network like a failed
 * sign-in (a refused sign-up says whether an address is registered, so it must not be free to
 * repeat); a successful one gives the attempt back.
 * Follow-up (account lifecycle issue): verify the address first and answer "check your inbox"
 * whether or not it was registered, which removes the signal altogether.
 */
export class SelfRegistration {
  readonly #customers: CustomerService;
  readonly #throttle: LoginThrottle;

  constructor(customers: CustomerService, throttle: LoginThrottle) {
    this.#customers = customers;
    this.#throttle = throttle;
  }

  async register(input: CustomerCreate, context: { ip: string; pool: string }): Promise<CustomerRecord> {
    const network = this.#throttle.ipKey(context.ip);
    const decision = await this.#throttle.attempt([network]);
    if (!decision.allowed) throw throttled(decision.retryAfterSeconds);
    const customer = await this.#customers.create(input, context.pool);
    await this.#throttle.succeeded(undefined, network);
    return customer;
  }
}
