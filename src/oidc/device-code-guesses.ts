import type { IncomingMessage } from 'node:http';
import { clientNetwork } from '../credentials/client-address.ts';
import type { LoginThrottle, ThrottleKey } from '../credentials/login-throttle.ts';

/**
 * RFC 8628 §5.1: user codes are short, so guessing them must be slowed. Wrong, spent and expired
 * codes typed at /device are counted per client network in the shared throttle; after the free
 * guesses each one locks the network for base·2ⁿ seconds, and while it is locked every code from
 * it is refused, right or wrong, so a lucky guess during the lock gains nothing.
 */
export class DeviceCodeGuesses {
  readonly #throttle: LoginThrottle;
  readonly #freeGuesses: number;
  /** The client address Fastify worked out (trusted proxies applied), for oidc-provider's hooks. */
  readonly #addresses = new WeakMap<IncomingMessage, string>();

  constructor(throttle: LoginThrottle, freeGuesses: number) {
    this.#throttle = throttle;
    this.#freeGuesses = freeGuesses;
  }

  remember(raw: IncomingMessage, ip: string): void {
    this.#addresses.set(raw, ip);
  }

  /** Seconds the network of this request must still wait; 0 when it may type codes. */
  async waitFor(ip: string, now = Date.now()): Promise<number> {
    return this.#throttle.lockedFor(this.#key(ip), now);
  }

  /** A wrong (or spent, or expired) code was typed. */
  async wrong(raw: IncomingMessage, now = Date.now()): Promise<void> {
    const ip = this.#addresses.get(raw);
    if (ip) await this.#throttle.attempt([this.#key(ip)], now);
  }

  #key(ip: string): ThrottleKey {
    return this.#throttle.keyFor('device_code', clientNetwork(ip), this.#freeGuesses);
  }
}
