import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundGuard } from './outbound-guard.ts';
import { parseNetwork, SPECIAL_PURPOSE_RANGES } from './special-purpose-addresses.ts';

/** The address in the middle of the network (held by no narrower entry of the registry), in text. */
function inside(prefix: string): string {
  // An IPv4-mapped address is classified by the IPv4 address it carries: one that is refused.
  if (prefix === '::ffff:0:0/96') return '::ffff:c000:201';
  const network = parseNetwork(prefix);
  const width = network.family === 4 ? 32 : 128;
  const value = network.bits === width ? network.value : network.value + (1n << BigInt(width - network.bits - 1));
  if (network.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, index) => ((value >> BigInt(112 - 16 * index)) & 0xffffn).toString(16)).join(':');
}

/** The last address of the network, in text. */
function last(prefix: string): string {
  const network = parseNetwork(prefix);
  const width = network.family === 4 ? 32 : 128;
  const value = network.value | ((1n << BigInt(width - network.bits)) - 1n);
  if (network.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, index) => ((value >> BigInt(112 - 16 * index)) & 0xffffn).toString(16)).join(':');
}

const PUBLIC = ['8.8.8.8', '151.101.1.140', '1.1.1.1', '2a00:1450:4010:c05::8a', '2606:4700:4700::1111', '::ffff:8.8.8.8'];

describe('outbound guard', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_request, response) => response.end('reached'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const refusal = (promise: Promise<unknown>) => promise.then(() => 'reached', (error: Error & { cause?: Error & { code?: string } }) => error.cause?.code ?? error.message);

  it('refuses internal addresses, literal or behind a name, in every spelling', async () => {
    const guard = new OutboundGuard(false);
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, `http://2130706433:${port}/`, `http://0x7f.1:${port}/`, `http://[::1]:${port}/`]) {
      expect(await refusal(guard.fetch(url, {})), url).toBe('EOUTBOUNDREFUSED');
    }
    for (const address of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', 'fd00::1', 'fe80::1', 'fe80::1%eth0', '::ffff:10.0.0.1', '64:ff9b::a00:1', 'not an address']) {
      expect(guard.permits(address), address).toBe(false);
    }
    for (const address of PUBLIC) expect(guard.permits(address), address).toBe(true);
  });

  describe.each(SPECIAL_PURPOSE_RANGES.map((range) => [range.prefix, range] as const))('registry entry %s', (prefix, range) => {
    it(`${range.name} (${range.rfc}) is refused; with internal networks allowed only if ${range.kind}; when listed, allowed`, () => {
      const sample = inside(prefix);
      expect(new OutboundGuard(true).permits(sample), sample).toBe(range.kind === 'internal');
      for (const address of [sample, last(prefix)]) {
        expect(new OutboundGuard(false).permits(address), address).toBe(false);
        expect(new OutboundGuard(['10.0.0.0/8', '2a00::/16']).permits(address), address).toBe(address.startsWith('10.'));
        expect(new OutboundGuard([prefix]).permits(address), address).toBe(true);
      }
    });
  });

  it('names every range of the issue probe and the README, and lets public addresses through whatever the setting', () => {
    const prefixes = SPECIAL_PURPOSE_RANGES.map((range) => range.prefix);
    for (const prefix of ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', 'fec0::/10', '100::/64', '::/96', '224.0.0.0/4', 'ff00::/8', '2001:db8::/32', '3fff::/20']) expect(prefixes).toContain(prefix);
    for (const guard of [new OutboundGuard(false), new OutboundGuard(true), new OutboundGuard(['10.0.0.0/8'])]) {
      for (const address of PUBLIC) expect(guard.permits(address), address).toBe(true);
    }
    for (const address of ['192.0.2.1', '198.51.100.7', '203.0.113.9', 'fec0::1', '100::1', '::a00:1', '::ffff:192.0.2.1', '2001:db8::1', '224.0.0.1', 'ff02::1', '255.255.255.255', '0.0.0.0', '::']) {
      expect(new OutboundGuard(true).permits(address), address).toBe(false);
    }
  });

  it('checks the IPv4 address an IPv4-mapped IPv6 address carries', () => {
    expect(new OutboundGuard(true).permits('::ffff:127.0.0.1')).toBe(true);
    expect(new OutboundGuard(false).permits('::ffff:127.0.0.1')).toBe(false);
    expect(new OutboundGuard(['127.0.0.0/8']).permits('::ffff:7f00:1')).toBe(true);
    expect(new OutboundGuard(true).permits('::ffff:198.18.0.1')).toBe(false);
  });

  it('lets the networks an operator allows through, and the internal ones when told to, but never a special-purpose literal', async () => {
    const allowed = new OutboundGuard(['127.0.0.0/8']);
    expect(await (await allowed.fetch(`http://127.0.0.1:${port}/`, {})).text()).toBe('reached');
    // localhost may also resolve to ::1, which is not allowed: only 127.0.0.1 is connected to.
    expect(await (await allowed.fetch(`http://localhost:${port}/`, {})).text()).toBe('reached');
    expect(allowed.permits('10.0.0.1')).toBe(false);
    const open = new OutboundGuard(true);
    expect(await (await open.fetch(`http://127.0.0.1:${port}/`, {})).text()).toBe('reached');
    expect(await refusal(open.fetch(`http://192.0.2.1:${port}/`, {}))).toBe('EOUTBOUNDREFUSED');
    expect(await refusal(open.fetch(`http://[2001:db8::1]:${port}/`, {}))).toBe('EOUTBOUNDREFUSED');
  });
});
