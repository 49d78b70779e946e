import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPortvakt, type Portvakt } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { freePort } from '../support/free-port.ts';
import { startPortvakt, ADMIN_KEY, type RunningPortvakt } from '../support/portvakt-server.ts';
import { openTestRedis } from '../support/test-redis.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each variant: the dialect, and whether the nodes share Redis (then the last poll is kept there). */
const VARIANTS = [
  { name: 'sqlite', dialect: 'sqlite', redis: false },
  { name: 'postgres', dialect: 'postgres', redis: false },
  { name: 'postgres with Redis', dialect: 'postgres', redis: true },
] as const;

/**
 * RFC 8628 §3.2 and §3.5 from outside: the device authorization answer names the interval, a poll
 * sooner than it is answered `slow_down` and the interval grows by 5 seconds, a poll at the
 * interval gets `authorization_pending`. Two nodes on one database (and Redis): the pace holds
 * whichever node a poll reaches.
 */
describe.each(VARIANTS)('device polling pace on $name, two nodes', ({ dialect, redis: withRedis }) => {
  let server: RunningPortvakt;
  let second: Portvakt;
  let secondUrl: string;
  let dataDir: string;
  let redis: Awaited<ReturnType<typeof openTestRedis>> | undefined;
  let clientId: string;

  beforeAll(async () => {
    redis = withRedis ? await openTestRedis() : undefined;
    const shared: Record<string, string> = redis ? { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix } : {};
    server = await startPortvakt(dialect, shared);
    const port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'portvakt-data-'));
    second = await buildPortvakt(
      loadConfig({
        PORT: String(port),
        HOST: '127.0.0.1',
        ISSUER: server.url,
        DATABASE_URL: server.database.url,
        PORTVAKT_DATA_DIR: dataDir,
        PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789',
        PORTVAKT_ADMIN_KEY: ADMIN_KEY,
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
        ...shared,
      }),
    );
    await second.app.listen({ port, host: '127.0.0.1' });
    secondUrl = `http://127.0.0.1:${port}`;
    const created = await server.api('POST', '/clients', {
      client_name: 'TV',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: [DEVICE_GRANT],
      first_party: true,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    clientId = created.body.client_id;
  });
  afterAll(async () => {
    await second?.close();
    await server?.stop();
    await redis?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const authorize = async () => (await (await fetch(`${server.url}/device/auth`, form({ client_id: clientId, scope: 'openid' }))).json()) as { device_code: string; interval?: number };
  const poll = async (base: string, deviceCode: string) => {
    const answer = await fetch(`${base}/token`, form({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }));
    return { status: answer.status, error: ((await answer.json()) as { error?: string }).error };
  };

  it('announces the interval, 5 seconds, in the device authorization answer', async () => {
    expect((await authorize()).interval).toBe(5);
  });

  it('answers slow_down to a second poll right after the first, and the interval grows by 5 seconds', { timeout: 30_000 }, async () => {
    const { device_code } = await authorize();
    expect(await poll(server.url, device_code)).toEqual({ status: 400, error: 'authorization_pending' });
    expect(await poll(server.url, device_code)).toEqual({ status: 400, error: 'slow_down' });
    // The interval is 10 seconds now: a poll 5 seconds later is still too soon.
    await sleep(5_200);
    expect(await poll(server.url, device_code)).toEqual({ status: 400, error: 'slow_down' });
  });

  it('answers authorization_pending to a device that polls at the interval', { timeout: 30_000 }, async () => {
    const { device_code } = await authorize();
    expect(await poll(server.url, device_code)).toEqual({ status: 400, error: 'authorization_pending' });
    await sleep(5_100);
    expect(await poll(secondUrl, device_code)).toEqual({ status: 400, error: 'authorization_pending' });
  });

  it('keeps the pace across nodes: a quick second poll at the other node is slow_down', async () => {
    const { device_code } = await authorize();
    expect(await poll(server.url, device_code)).toEqual({ status: 400, error: 'authorization_pending' });
    expect(await poll(secondUrl, device_code)).toEqual({ status: 400, error: 'slow_down' });
  });

  it('paces only real pending codes: a made-up code is invalid_grant, every time', async () => {
    expect(await poll(server.url, 'made-up-device-code')).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await poll(server.url, 'made-up-device-code')).toEqual({ status: 400, error: 'invalid_grant' });
  });
});
