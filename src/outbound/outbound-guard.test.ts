import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundGuard } from './outbound-guard.ts';

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
    for (const address of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '64:ff9b::a00:1']) {
      expect(guard.permits(address), address).toBe(false);
    }
    for (const address of ['8.8.8.8', '151.101.1.140', '2a00:1450:4010:c05::8a']) expect(guard.permits(address), address).toBe(true);
  });

  it('lets the networks an operator allows through, and everything when told to', async () => {
    const allowed = new OutboundGuard(['127.0.0.0/8']);
    expect(await (await allowed.fetch(`http://127.0.0.1:${port}/`, {})).text()).toBe('reached');
    // localhost may also resolve to ::1, which is not allowed: only 127.0.0.1 is connected to.
    expect(await (await allowed.fetch(`http://localhost:${port}/`, {})).text()).toBe('reached');
    expect(allowed.permits('10.0.0.1')).toBe(false);
    expect(await (await new OutboundGuard(true).fetch(`http://127.0.0.1:${port}/`, {})).text()).toBe('reached');
  });
});
