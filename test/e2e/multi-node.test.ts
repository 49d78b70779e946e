import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { startProcess } from '../support/portvakt-process.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { openTestRedis } from '../support/test-redis.ts';
import { NodeProxy } from '../support/two-node-proxy.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const ADMIN_KEY = 'multi-node-admin-key-0123456789abcdef';
const REDIRECT = 'http://127.0.0.1:9/callback';
const CUSTOMER = { email: 'nod@example.se', password: 'two nodes one passphrase' };
const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * Two `portvakt start` processes on one PostgreSQL and one Redis behind a proxy that decides, per
 * request, which of them answers: every step of a flow may land on either node.
 */
describe('two Portvakt nodes on one PostgreSQL and Redis', () => {
  let database: TestDatabase;
  let redis: Awaited<ReturnType<typeof openTestRedis>>;
  let proxy: NodeProxy;
  let receiver: WebhookReceiver;
  const nodes: ChildProcess[] = [];
  let ports: number[];
  let env: Record<string, string>;

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${proxy.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };

  beforeAll(async () => {
    [database, redis, receiver] = await Promise.all([createTestDatabase('postgres'), openTestRedis(), WebhookReceiver.start()]);
    ports = [await freePort(), await freePort()];
    proxy = await NodeProxy.start(ports);
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      ISSUER: proxy.url,
      PORTVAKT_SECRET: 'multi-node-secret-that-is-long-enough-0123',
      PORTVAKT_ADMIN_KEY: ADMIN_KEY,
      OUTBOX_POLL_MS: '50',
      // Long: what reaches the nodes in the tests below comes through Redis's change notices.
      KEY_REFRESH_SECONDS: '3600',
    };
    // One after the other: both would run the migrations otherwise (they are safe to race, but slower).
    nodes.push(await startProcess(env, ports[0]!));
    nodes.push(await startProcess(env, ports[1]!));
  });

  afterAll(async () => {
    for (const node of nodes) node.kill('SIGTERM');
    await Promise.all(nodes.map((node) => new Promise((resolve) => (node.exitCode === null ? node.once('exit', resolve) : resolve(undefined)))));
    await proxy?.close();
    await receiver?.close();
    await redis?.close();
    await database?.drop();
  });

  it.each([
    ['A', 'B', 0],
    ['B', 'A', 1],
  ])('completes a code flow whose authorization request goes to node %s and sign-in form post to node %s', async (_get, _post, getNode) => {
    proxy.route = (request) => (request.method === 'GET' ? getNode : 1 - getNode);
    const client = (await api('POST', '/clients', { client_name: `App ${getNode}`, redirect_uris: [REDIRECT], first_party: true, token_endpoint_auth_method: 'none' })).body;
    if (getNode === 0) expect((await api('POST', '/customers', CUSTOMER)).status).toBe(201);
    const rp = await RelyingParty.discover(proxy.url, client.client_id!, undefined, REDIRECT);
    proxy.log.length = 0;

    const landed = await new CookieAgent().authorize(await rp.authorizationUrl(), proxy.url, CUSTOMER);
    const tokens = await rp.callback(landed);
    expect(tokens.claims()!.email).toBe(CUSTOMER.email);

    const authorization = proxy.log.find((entry) => entry.path === '/auth');
    const formPost = proxy.log.find((entry) => entry.method === 'POST' && entry.path.endsWith('/password'));
    const token = proxy.log.find((entry) => entry.path === '/token');
    expect(authorization).toMatchObject({ node: getNode, status: 303 });
    expect(formPost).toMatchObject({ node: 1 - getNode, status: 303 });
    expect(token).toMatchObject({ node: 1 - getNode, status: 200 });
    // The interaction, the code and the access token lived in Redis, not in either process.
    expect(await redis.redis.keys(`${redis.prefix}oidc:AccessToken:*`)).not.toEqual([]); // KEYS patterns are not prefixed
    expect(await redis.redis.exists(`oidc:AuthorizationCode:${new URL(landed).searchParams.get('code')}`)).toBe(1);
    // An access token issued by one node is known to the other.
    proxy.route = () => getNode;
    expect((await rp.userinfo(tokens.access_token, tokens.claims()!.sub)).email).toBe(CUSTOMER.email);
  });

  it('delivers each webhook exactly once while both nodes run the outbox worker', async () => {
    proxy.route = (request) => Number(request.url!.length % 2);
    const subscription = await api('POST', '/webhooks', { url: receiver.url, event_types: ['customer.created'] });
    receiver.secret = subscription.body.secret!;
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => api('POST', '/customers', { email: `burst${i}@example.se` })));
    expect(created.every((answer) => answer.status === 201)).toBe(true);
    await receiver.waitFor(20);
    // Longer than several polls of both workers: a second delivery of any event would show now.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const ids = receiver.received.map((hook) => hook.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(new Set(receiver.received.map((hook) => hook.data.customer_id))).toEqual(new Set(created.map((answer) => answer.body.id)));
    expect(receiver.received.every((hook) => hook.signatureValid)).toBe(true);
  });

  it('stops honouring a redirect URI on the other node as soon as one node removed it from the client', async () => {
    const client = (await api('POST', '/clients', { client_name: 'Changing', redirect_uris: [REDIRECT, 'http://127.0.0.1:9/old'], first_party: true, token_endpoint_auth_method: 'none' })).body;
    const authorize = (port: number, redirect: string) =>
      fetch(`http://127.0.0.1:${port}/auth?${new URLSearchParams({ client_id: client.client_id!, redirect_uri: redirect, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`, { redirect: 'manual' });
    expect((await authorize(ports[1]!, 'http://127.0.0.1:9/old')).status).toBe(303); // node B now has the client cached
    proxy.route = () => 0;
    expect((await api('PATCH', `/clients/${client.client_id}`, { redirect_uris: [REDIRECT] })).status).toBe(200);
    // The notice travels through Redis: node B forgets the client within moments, not the cache's 10 s.
    const changed = Date.now();
    let refused = await authorize(ports[1]!, 'http://127.0.0.1:9/old');
    while (refused.status !== 400 && Date.now() - changed < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      refused = await authorize(ports[1]!, 'http://127.0.0.1:9/old');
    }
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('redirect_uri');
    expect((await authorize(ports[1]!, REDIRECT)).status).toBe(303);
  });

  it('stops issuing tokens for a resource server on the other node as soon as one node took the client off it', async () => {
    proxy.route = () => 0;
    const machine = (await api('POST', '/clients', { client_name: 'Loyalty sync', grant_types: ['client_credentials'] })).body;
    const resource = 'https://loyalty.example/api';
    const created = await api('POST', '/resource-servers', { identifier: resource, name: 'Loyalty API', allowed_clients: [machine.client_id] });
    expect(created.status).toBe(201);
    const token = (port: number) =>
      fetch(`http://127.0.0.1:${port}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource }).toString(),
      });
    expect((await token(ports[1]!)).status).toBe(200); // node B now has the resource server cached
    expect((await api('PATCH', `/resource-servers/${created.body.id}`, { allowed_clients: [] })).status).toBe(200);
    const changed = Date.now();
    let refused = await token(ports[1]!);
    while (refused.status !== 400 && Date.now() - changed < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      refused = await token(ports[1]!);
    }
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_target');
  });

  const kids = async (port: number) => ((await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
  const publishedEverywhere = async (added: string[]) => {
    const deadline = Date.now() + 2000;
    for (const port of ports) {
      for (;;) {
        const published = await kids(port);
        if (added.every((kid) => published.includes(kid))) break;
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  it('publishes a key rotated from the command line on every node at once (a change notice through Redis)', async () => {
    const { stdout } = await promisify(execFile)(`${ROOT}bin/portvakt`, ['keys', 'rotate'], { cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'silent' } });
    await publishedEverywhere((JSON.parse(stdout) as { added: string[] }).added);
  });

  it('publishes a key rotated through the management API on one node on the other at once', async () => {
    proxy.route = () => 0;
    const rotated = await api('POST', '/signing-keys/rotate');
    expect(rotated.status).toBe(200);
    const added = rotated.body.added as unknown as string[];
    // The node that answered already publishes it.
    expect(await kids(ports[0]!)).toEqual(expect.arrayContaining(added));
    await publishedEverywhere(added);
  });
});
