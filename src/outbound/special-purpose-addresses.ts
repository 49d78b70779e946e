import { isIP } from 'node:net';

/**
 * How a special-purpose range is treated by the outbound guard:
 * - `internal`: networks an operator may run receivers on (this host, private, shared, link-local,
 *   unique local): reachable where `OUTBOUND_ALLOW_INTERNAL` is `true` or lists them;
 * - `special`: documentation, benchmarking, reserved, multicast, anycast and transition ranges:
 *   never reachable unless `OUTBOUND_ALLOW_INTERNAL` lists a network covering the address.
 */
export type RangeKind = 'internal' | 'special';

export interface SpecialPurposeRange {
  prefix: string;
  name: string;
  rfc: string;
  kind: RangeKind;
}

/**
 * The IANA IPv4 and IPv6 Special-Purpose Address Registries, plus multicast and the deprecated
 * site-local and IPv4-compatible IPv6 ranges. An address is classified by the most specific entry
 * holding it. IPv4-mapped IPv6 addresses (::ffff:0:0/96) are classified as the IPv4 address they carry.
 */
export const SPECIAL_PURPOSE_RANGES: readonly SpecialPurposeRange[] = [
  { prefix: '0.0.0.0/8', name: 'This network', rfc: 'RFC 791', kind: 'special' },
  { prefix: '10.0.0.0/8', name: 'Private-Use', rfc: 'RFC 1918', kind: 'internal' },
  { prefix: '100.64.0.0/10', name: 'Shared Address Space', rfc: 'RFC 6598', kind: 'internal' },
  { prefix: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122', kind: 'internal' },
  { prefix: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927', kind: 'internal' },
  { prefix: '172.16.0.0/12', name: 'Private-Use', rfc: 'RFC 1918', kind: 'internal' },
  { prefix: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890', kind: 'special' },
  { prefix: '192.0.0.0/29', name: 'IPv4 Service Continuity Prefix', rfc: 'RFC 7335', kind: 'special' },
  { prefix: '192.0.0.8/32', name: 'IPv4 dummy address', rfc: 'RFC 7600', kind: 'special' },
  { prefix: '192.0.0.9/32', name: 'Port Control Protocol Anycast', rfc: 'RFC 7723', kind: 'special' },
  { prefix: '192.0.0.10/32', name: 'Traversal Using Relays around NAT Anycast', rfc: 'RFC 8155', kind: 'special' },
  { prefix: '192.0.0.170/32', name: 'NAT64/DNS64 Discovery', rfc: 'RFC 8880', kind: 'special' },
  { prefix: '192.0.0.171/32', name: 'NAT64/DNS64 Discovery', rfc: 'RFC 8880', kind: 'special' },
  { prefix: '192.0.2.0/24', name: 'Documentation (TEST-NET-1)', rfc: 'RFC 5737', kind: 'special' },
  { prefix: '192.31.196.0/24', name: 'AS112-v4', rfc: 'RFC 7535', kind: 'special' },
  { prefix: '192.52.193.0/24', name: 'AMT', rfc: 'RFC 7450', kind: 'special' },
  { prefix: '192.88.99.0/24', name: 'Deprecated (6to4 Relay Anycast)', rfc: 'RFC 7526', kind: 'special' },
  { prefix: '192.168.0.0/16', name: 'Private-Use', rfc: 'RFC 1918', kind: 'internal' },
  { prefix: '192.175.48.0/24', name: 'Direct Delegation AS112 Service', rfc: 'RFC 7534', kind: 'special' },
  { prefix: '198.18.0.0/15', name: 'Benchmarking', rfc: 'RFC 2544', kind: 'special' },
  { prefix: '198.51.100.0/24', name: 'Documentation (TEST-NET-2)', rfc: 'RFC 5737', kind: 'special' },
  { prefix: '203.0.113.0/24', name: 'Documentation (TEST-NET-3)', rfc: 'RFC 5737', kind: 'special' },
  { prefix: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771', kind: 'special' },
  { prefix: '240.0.0.0/4', name: 'Reserved', rfc: 'RFC 1112', kind: 'special' },
  { prefix: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 919', kind: 'special' },

  { prefix: '::/128', name: 'Unspecified Address', rfc: 'RFC 4291', kind: 'special' },
  { prefix: '::1/128', name: 'Loopback Address', rfc: 'RFC 4291', kind: 'internal' },
  { prefix: '::/96', name: 'IPv4-compatible (deprecated)', rfc: 'RFC 4291', kind: 'special' },
  { prefix: '::ffff:0:0/96', name: 'IPv4-mapped Address', rfc: 'RFC 4291', kind: 'special' },
  { prefix: '64:ff9b::/96', name: 'IPv4-IPv6 Translat.', rfc: 'RFC 6052', kind: 'special' },
  { prefix: '64:ff9b:1::/48', name: 'IPv4-IPv6 Translat.', rfc: 'RFC 8215', kind: 'special' },
  { prefix: '100::/64', name: 'Discard-Only Address Block', rfc: 'RFC 6666', kind: 'special' },
  { prefix: '100:0:0:1::/64', name: 'Dummy IPv6 Prefix', rfc: 'RFC 9780', kind: 'special' },
  { prefix: '2001::/23', name: 'IETF Protocol Assignments', rfc: 'RFC 2928', kind: 'special' },
  { prefix: '2001::/32', name: 'TEREDO', rfc: 'RFC 4380', kind: 'special' },
  { prefix: '2001:1::1/128', name: 'Port Control Protocol Anycast', rfc: 'RFC 7723', kind: 'special' },
  { prefix: '2001:1::2/128', name: 'Traversal Using Relays around NAT Anycast', rfc: 'RFC 8155', kind: 'special' },
  { prefix: '2001:1::3/128', name: 'DNS-SD Service Registration Protocol Anycast', rfc: 'RFC 9665', kind: 'special' },
  { prefix: '2001:2::/48', name: 'Benchmarking', rfc: 'RFC 5180', kind: 'special' },
  { prefix: '2001:3::/32', name: 'AMT', rfc: 'RFC 7450', kind: 'special' },
  { prefix: '2001:4:112::/48', name: 'AS112-v6', rfc: 'RFC 7535', kind: 'special' },
  { prefix: '2001:10::/28', name: 'Deprecated (previously ORCHID)', rfc: 'RFC 4843', kind: 'special' },
  { prefix: '2001:20::/28', name: 'ORCHIDv2', rfc: 'RFC 7343', kind: 'special' },
  { prefix: '2001:30::/28', name: 'Drone Remote ID Protocol Entity Tags (DETs) Prefix', rfc: 'RFC 9374', kind: 'special' },
  { prefix: '2001:db8::/32', name: 'Documentation', rfc: 'RFC 3849', kind: 'special' },
  { prefix: '2002::/16', name: '6to4', rfc: 'RFC 3056', kind: 'special' },
  { prefix: '2620:4f:8000::/48', name: 'Direct Delegation AS112 Service', rfc: 'RFC 7534', kind: 'special' },
  { prefix: '3fff::/20', name: 'Documentation', rfc: 'RFC 9637', kind: 'special' },
  { prefix: '5f00::/16', name: 'Segment Routing (SRv6) SIDs', rfc: 'RFC 9602', kind: 'special' },
  { prefix: 'fc00::/7', name: 'Unique-Local', rfc: 'RFC 4193', kind: 'internal' },
  { prefix: 'fe80::/10', name: 'Link-Local Unicast', rfc: 'RFC 4291', kind: 'internal' },
  { prefix: 'fec0::/10', name: 'Site-Local (deprecated)', rfc: 'RFC 3879', kind: 'special' },
  { prefix: 'ff00::/8', name: 'Multicast', rfc: 'RFC 4291', kind: 'special' },
];

/** An IP address as a number with its family's width, or null when the text is no IP address. */
export interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

export interface Network extends ParsedAddress {
  bits: number;
}

const MAPPED = { family: 6, value: 0xffffn << 32n, bits: 96 } as const;

export function parseAddress(text: string): ParsedAddress | null {
  const address = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(address);
  if (family === 4) return { family: 4, value: ipv4Value(address) };
  if (family === 6) return { family: 6, value: ipv6Value(address) };
  return null;
}

/** `10.0.0.0/8`, `fd00::/8` or a single address; throws on anything else. */
export function parseNetwork(text: string): Network {
  const [address = '', prefix] = text.split('/');
  const parsed = parseAddress(address);
  const width = parsed?.family === 4 ? 32 : 128;
  const bits = prefix === undefined ? width : Number(prefix);
  if (!parsed || !Number.isInteger(bits) || bits < 0 || bits > width) throw new Error(`not a network: ${text}`);
  return { ...parsed, bits };
}

export function contains(network: Network, address: ParsedAddress): boolean {
  if (network.family !== address.family) return false;
  const shift = BigInt((network.family === 4 ? 32 : 128) - network.bits);
  return network.value >> shift === address.value >> shift;
}

/** The IPv4 address an IPv4-mapped IPv6 address carries; any other address as it is. */
export function unmapped(address: ParsedAddress): ParsedAddress {
  if (contains(MAPPED, address)) return { family: 4, value: address.value & 0xffffffffn };
  return address;
}

const TABLE = SPECIAL_PURPOSE_RANGES.map((range) => ({ range, network: parseNetwork(range.prefix) }));

/** The most specific registry entry holding the address (IPv4-mapped addresses unmapped first), or null for a public address. */
export function specialPurposeRange(address: ParsedAddress): SpecialPurposeRange | null {
  const plain = unmapped(address);
  let best: { range: SpecialPurposeRange; network: Network } | null = null;
  for (const entry of TABLE) {
    if (contains(entry.network, plain) && (!best || entry.network.bits > best.network.bits)) best = entry;
  }
  return best?.range ?? null;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Value(address: string): bigint {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Value(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}
