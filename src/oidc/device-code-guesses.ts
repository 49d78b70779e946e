import { clientNetwork } from '../credentials/client-address.ts';
import type { LoginThrottle, ThrottleDecision, ThrottleKey } from '../credentials/login-throttle.ts';

/**
 * RFC 8628 §5.1: user codes are short, so guessing them must be slowed. Every code typed at
 * /device counts against the client network in the shared throttle, in one atomic step before
 * oidc-provider looks at it, so a burst of parallel guesses gets the free ones and no more. After
 * them each one locks the network for base·2ⁿ seconds, and while it is locked every code from it
 * is refused, right or wrong. Right codes are not given back: an attacker could refill the count
 * with codes of their own devices.
 */
export class DeviceCodeGuesses {
  readonly #throttle: LoginThrottle;
  readonly #freeGuesses: number;

  constructor(throttle: LoginThrottle, freeGuesses: number) {
    this.#throttle = throttle;
    this.#freeGuesses = freeGuesses;
  }

  /** One code typed from this address: allowed, or how long its network must wait. */
  typed(ip: string, now = Date.now()): Promise<ThrottleDecision> {
    return this.#throttle.attempt([this.#key(ip)], now);
  }

  #key(ip: string): ThrottleKey {
    return this.#throttle.keyFor('device_code', clientNetwork(ip), this.#freeGuesses);
  }
}
