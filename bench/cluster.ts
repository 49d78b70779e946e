import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createTestDatabase, type TestDatabase } from '../test/support/databases.ts';
import { freePort } from '../test/support/free-port.ts';
import { openTestRedis } from '../test/support/test-redis.ts';
import { BENCH_ADMIN_KEY, BENCH_SECRET, startChild, stop } from './child-process.ts';
import { haproxyConfig, startHaproxy } from './haproxy.ts';

export interface Cluster {
  /** The balancer's address: the issuer every node is configured with. */
  url: string;
  nodeUrls: string[];
  /** SIGTERM node `index`, wait for it to exit, start it again and wait until HAProxy uses it. */
  restartNode(index: number): Promise<{ stoppedMs: number; downMs: number }>;
  stop(): Promise<void>;
}

/**
 * `bench/cluster`: HAProxy in front of `size` Portvakt processes (one worker each) on one fresh
 * PostgreSQL database and one Redis key space, as the README's deployment section describes.
 */
export async function startCluster(size: number, env: Record<string, string> = {}): Promise<Cluster> {
  const [database, redis] = await Promise.all([createTestDatabase('postgres'), openTestRedis()]);
  const dir = mkdtempSync(join(tmpdir(), 'portvakt-cluster-'));
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const front = await freePort();
  const url = `http://127.0.0.1:${front}`;
  const nodeEnv = (port: number) => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: url,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    PORTVAKT_SECRET: BENCH_SECRET,
    PORTVAKT_ADMIN_KEY: BENCH_ADMIN_KEY,
    LOG_LEVEL: 'warn',
    // Longer than HAProxy needs to see /readyz fail (one check every 500 ms).
    SHUTDOWN_GRACE_SECONDS: '2',
    ...env,
  });
  const startNode = (port: number) => startChild(['src/cli.ts', 'start', '--workers', '1'], nodeEnv(port), `http://127.0.0.1:${port}/readyz`);
  const nodes: ChildProcess[] = [];
  let haproxy: ChildProcess | undefined;
  const stopAll = async () => {
    haproxy?.kill('SIGTERM');
    await Promise.all(nodes.map((node) => (node.exitCode === null ? stop(node) : undefined)));
    await redis.close();
    await (database as TestDatabase).drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) nodes.push(await startNode(port));
    haproxy = await startHaproxy(join(dir, 'haproxy.cfg'), haproxyConfig(`127.0.0.1:${front}`, ports.map((port) => `127.0.0.1:${port}`)), `${url}/healthz`);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    url,
    nodeUrls: ports.map((port) => `http://127.0.0.1:${port}`),
    async restartNode(index) {
      const began = Date.now();
      await stop(nodes[index]!);
      const stoppedMs = Date.now() - began;
      nodes[index] = await startNode(ports[index]!);
      // HAProxy takes it back after two good checks (rise 2, inter 500 ms).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return { stoppedMs, downMs: Date.now() - began };
    },
    stop: stopAll,
  };
}

export interface RollingRestartReport {
  nodes: number;
  seconds: number;
  requests: number;
  statuses: Record<string, number | undefined>;
  non_2xx: number;
  errors: number;
  timeouts: number;
  restarts: Array<{ node: number; stoppedMs: number; downMs: number }>;
}

/**
 * A bounded load through HAProxy (client_credentials tokens and discovery, alternating) while each
 * node in turn gets SIGTERM and starts again. Every request must be answered 2xx.
 */
export async function rollingRestart(cluster: Cluster, nodes: number, connections = 8): Promise<RollingRestartReport> {
  const client = (await (
    await fetch(`${cluster.url}/api/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'rolling', grant_types: ['client_credentials'] }),
    })
  ).json()) as { client_id: string; client_secret: string };
  const began = Date.now();
  const load = autocannon({
    url: cluster.url,
    connections,
    // Bounded by work, not only time: the restarts below decide how long it runs.
    duration: 120,
    requests: [
      {
        method: 'POST',
        path: '/token',
        headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      },
      { method: 'GET', path: '/.well-known/openid-configuration' },
    ],
  });
  const restarts: RollingRestartReport['restarts'] = [];
  await new Promise((resolve) => setTimeout(resolve, 1500));
  for (let node = 0; node < nodes; node++) {
    restarts.push({ node, ...(await cluster.restartNode(node)) });
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  (load as unknown as { stop(): void }).stop();
  const result = await load;
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count]));
  return {
    nodes,
    seconds: Math.round((Date.now() - began) / 100) / 10,
    requests: result.requests.total,
    statuses,
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    restarts,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const size = Number(process.env.BENCH_CLUSTER_NODES ?? 3);
  const cluster = await startCluster(size);
  try {
    process.stdout.write(`${JSON.stringify({ rolling_restart: await rollingRestart(cluster, size) }, null, 2)}\n`);
  } finally {
    await cluster.stop();
  }
}
