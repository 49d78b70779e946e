import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { contains, parseAddress, parseNetwork, specialPurposeRange, unmapped, type Network } from './special-purpose-addresses.ts';

/** How Portvakt calls out: fetch's shape, through the guard. */
export type OutboundFetch = (url: string, init: RequestInit) => Promise<Response>;

export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
  readonly code = 'EOUTBOUNDREFUSED';
}

/**
 * Every call Portvakt makes to an address an operator or an upstream named through the API
 * (upstream providers and the endpoints their discovery names, webhook receivers, data systems) goes
 * through this fetch. The address is checked when the connection is made, after DNS, so a name that
 * resolves (or re-resolves) to a refused address is refused as well as a literal one.
 */
export class OutboundGuard {
  readonly #internalAllowed: boolean;
  readonly #listed: Network[];
  readonly #agent: Agent;

  /**
   * `allowInternal`: true (the internal ranges: this host, private, shared, link-local, unique
   * local), false (none), or the networks allowed. Documentation, benchmarking, reserved, multicast
   * and transition ranges are refused even with true, unless a listed network covers them.
   */
  constructor(allowInternal: boolean | string[]) {
    this.#internalAllowed = allowInternal === true;
    this.#listed = Array.isArray(allowInternal) ? allowInternal.map(parseNetwork) : [];
    this.#agent = new Agent({ connect: { lookup: (hostname, options, callback) => this.#lookup(hostname, options, callback) } });
  }

  /** Whether a call out may reach this IP address. */
  permits(address: string): boolean {
    const parsed = parseAddress(address);
    if (!parsed) return false;
    const range = specialPurposeRange(parsed);
    if (!range) return true;
    const plain = unmapped(parsed);
    if (this.#listed.some((network) => contains(network, plain) || contains(network, parsed))) return true;
    return range.kind === 'internal' && this.#internalAllowed;
  }

  readonly fetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
    // A literal address is not looked up when connecting: checked here.
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.permits(host)) throw new TypeError('fetch failed', { cause: new OutboundRefused(`${host} is an internal or special-purpose address`) });
    return (await undiciFetch(url, { ...(init as object), dispatcher: this.#agent })) as unknown as Response;
  };

  #lookup(hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      // Only the permitted addresses are ever connected to; none left is a refusal.
      const permitted = addresses.filter((entry) => this.permits(entry.address));
      if (permitted.length === 0) return callback(new OutboundRefused(`${hostname} resolves only to internal or special-purpose addresses`), []);
      if (options.all) return callback(null, permitted);
      const first = permitted[0]!;
      return callback(null, first.address, first.family);
    });
  }
}
