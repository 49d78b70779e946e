import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Networks a call out must not reach unless the operator allows them: this host, private and
 * shared address space, link-local (where cloud metadata services answer), multicast, reserved.
 * IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry.
 */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}

/** How Portvakt calls out: fetch's shape, through the guard. */
export type OutboundFetch = (url: string, init: RequestInit) => Promise<Response>;

export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
  readonly code = 'EOUTBOUNDREFUSED';
}

/**
 * Every call Portvakt makes to an address an operator or an upstream named through the API
 * (upstream providers and the endpoints their discovery names, webhook receivers, data systems) goes
 * through this fetch. Where internal addresses are not allowed, the address is checked when the
 * connection is made, after DNS, so a name that resolves (or re-resolves) to an internal address
 * is refused as well as a literal one.
 */
export class OutboundGuard {
  readonly #allowed: BlockList | null;
  readonly #open: boolean;
  readonly #agent: Agent | undefined;

  /** `allowInternal`: true (no check), false (no internal address), or the internal networks allowed. */
  constructor(allowInternal: boolean | string[]) {
    this.#open = allowInternal === true;
    this.#allowed = Array.isArray(allowInternal) ? networks(allowInternal) : null;
    this.#agent = this.#open ? undefined : new Agent({ connect: { lookup: (hostname, options, callback) => this.#lookup(hostname, options, callback) } });
  }

  /** Whether a call out may reach this IP address. */
  permits(address: string): boolean {
    if (this.#open) return true;
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (!INTERNAL.check(address, family)) return true;
    return this.#allowed?.check(address, family) ?? false;
  }

  readonly fetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
    if (!this.#agent) return fetch(url, init);
    // A literal address is not looked up when connecting: checked here.
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.permits(host)) throw new TypeError('fetch failed', { cause: new OutboundRefused(`${host} is an internal address`) });
    return (await undiciFetch(url, { ...(init as object), dispatcher: this.#agent })) as unknown as Response;
  };

  #lookup(hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      // Only the permitted addresses are ever connected to; none left is a refusal.
      const permitted = addresses.filter((entry) => this.permits(entry.address));
      if (permitted.length === 0) return callback(new OutboundRefused(`${hostname} resolves only to internal addresses`), []);
      if (options.all) return callback(null, permitted);
      const first = permitted[0]!;
      return callback(null, first.address, first.family);
    });
  }
}

function networks(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}
