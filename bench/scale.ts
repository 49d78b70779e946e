import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { seedEmail } from '../src/ops/seed.ts';
import { CookieAgent } from '../test/support/cookie-agent.ts';
import { createTestDatabase, type TestDialect } from '../test/support/databases.ts';
import { freePort } from '../test/support/free-port.ts';
import { RelyingParty } from '../test/support/relying-party.ts';
import { openTestRedis } from '../test/support/test-redis.ts';
import { BENCH_ADMIN_KEY as ADMIN_KEY, BENCH_SECRET as SECRET, ROOT, startChild, stop } from './child-process.ts';
import { byStatus, closedLoop, openLoop, percentile, ratio, round, type Timed } from './load-loops.ts';
import { measureCpu } from './cpu-share.ts';
import { badInputFlood, FLOOD_SERVER_FLAGS } from './flood.ts';
import { wholeListSetting, wholeSetting } from './settings.ts';
import { LiveHeap } from './live-heap.ts';
import { prepareSignIns, type PreparedSignIn } from './sign-in-load.ts';

/**
 * `npm run bench` (third part, `npm run bench:scale`): campaign bursts, measured in one run and
 * reported as JSON (bench/scale-report.json).
 * - burst: password sign-ins offered at a steady rate, then at ten times that rate, with token
 *   refreshes running all along; one process on PostgreSQL + Redis.
 * - cluster: client_credentials tokens/s with `--workers 2` against `--workers 1`, both warmed up,
 *   then measured in alternating rounds at 16 to 128 connections; the headline ratio is of
 *   capacities (each configuration's best median over the connection counts).
 * - size: sign-in and lookup-by-e-mail p50 with 1,000 and with 1,000,000 customers, SQLite and
 *   PostgreSQL, two servers side by side measured in alternating rounds.
 * - bad_input_flood: malformed requests to every endpoint beside valid ones (bench/flood.ts).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const STEADY_PER_S = Number(process.env.BENCH_BURST_STEADY ?? 15);
const LARGE = Number(process.env.BENCH_SIZE_LARGE ?? 1_000_000);
const SMALL = 1000;
const SEEDED_PASSWORD = 'seeded passphrase 2026';
const REDIRECT = 'http://127.0.0.1:9/cb';

interface Backend {
  env: Record<string, string>;
  close(): Promise<void>;
}

async function backend(dialect: TestDialect, withRedis: boolean): Promise<Backend> {
  const database = await createTestDatabase(dialect);
  const redis = withRedis ? await openTestRedis() : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-scale-'));
  return {
    env: { DATABASE_URL: database.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET, PORTVAKT_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', ...(redis ? { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix } : {}) },
    async close() {
      await redis?.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function seed(env: Record<string, string>, customers: number): void {
  const result = spawnSync(process.execPath, ['src/cli.ts', 'seed', '--customers', String(customers)], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`seed failed: ${result.stderr}`);
}

async function serve(env: Record<string, string>, workers: number, nodeArgs: string[] = [], onLine?: (line: string) => void): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = await startChild([...nodeArgs, 'src/cli.ts', 'start', '--workers', String(workers)], { ...env, PORT: String(port), HOST: '127.0.0.1', ISSUER: base }, `${base}/readyz`, onLine);
  // All workers up: readiness answered by several requests in a row.
  for (let i = 0; i < 10 * workers; i++) await fetch(`${base}/readyz`);
  return { base, child };
}

async function createClient(base: string, body: Record<string, unknown>): Promise<{ client_id: string; client_secret?: string }> {
  const response = await fetch(`${base}/api/v1/clients`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`creating a client answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { client_id: string; client_secret?: string };
}

const ms = (results: Timed[]) => results.map((result) => result.ms);

/**
 * Token refreshes in parallel rotations, one per entry of `tokens`: each uses the refresh token
 * the last one gave, and leaves the newest in `tokens` for the next phase.
 */
async function refreshWhile(base: string, clientId: string, tokens: string[], running: () => boolean): Promise<Timed[]> {
  const results: Timed[] = [];
  const began = performance.now();
  await Promise.all(
    tokens.map(async (_, chain) => {
      while (running()) {
        const token = tokens[chain]!;
        const sent = performance.now();
        const response = await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: clientId }).toString() });
        const body = (await response.json()) as { refresh_token?: string };
        results.push({ status: response.status, ms: performance.now() - sent, retryAfter: undefined, at: sent - began });
        if (body.refresh_token) tokens[chain] = body.refresh_token;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }),
  );
  return results;
}

async function burst() {
  const store = await backend('postgres', true);
  seed(store.env, 2000);
  const { base, child } = await serve(store.env, 1);
  try {
    const web = await createClient(base, { client_name: 'burst web', redirect_uris: [REDIRECT], first_party: true, token_endpoint_auth_method: 'none' });
    // Refresh tokens for four customers who signed in before the campaign.
    const rp = await RelyingParty.discover(base, web.client_id, undefined, REDIRECT);
    const refreshTokens: string[] = [];
    for (let i = 0; i < 4; i++) {
      const landed = await new CookieAgent().authorize(await rp.authorizationUrl(), base, { email: seedEmail(1990 + i), password: SEEDED_PASSWORD });
      refreshTokens.push((await rp.callback(landed)).refresh_token!);
    }
    const phase = async (rate: number) => {
      const prepared = await prepareSignIns(base, web.client_id, Math.ceil(rate * SECONDS), (i) => seedEmail(i % 1900), SEEDED_PASSWORD);
      let running = true;
      const refreshes = refreshWhile(base, web.client_id, refreshTokens, () => running);
      const signIns = await openLoop(base, rate, SECONDS, (i) => ({ method: 'POST', path: prepared[i]!.path, body: prepared[i]!.body, headers: { cookie: prepared[i]!.cookie, 'content-type': 'application/x-www-form-urlencoded' } }));
      running = false;
      const refreshed = await refreshes;
      const admitted = signIns.filter((result) => result.status === 303);
      const shed = signIns.filter((result) => result.status === 429 || result.status === 503);
      return {
        offered_per_s: rate,
        statuses: byStatus(signIns),
        admitted: admitted.length,
        shed: shed.length,
        shed_without_retry_after: shed.filter((result) => !result.retryAfter).length,
        other_5xx: signIns.filter((result) => result.status >= 500 && !(result.status === 503 && result.retryAfter)).length,
        connection_errors: signIns.filter((result) => result.status === 0).length,
        admitted_p50_ms: percentile(ms(admitted), 50),
        admitted_p99_ms: percentile(ms(admitted), 99),
        refreshes: refreshed.length,
        refresh_non_200: refreshed.filter((result) => result.status !== 200).length,
        refresh_p99_ms: percentile(ms(refreshed), 99),
      };
    };
    const steady = await phase(STEADY_PER_S);
    const tenfold = await phase(STEADY_PER_S * 10);
    return {
      database: 'postgres + redis, one process',
      steady,
      burst: tenfold,
      ratio_admitted_p99_burst_to_steady: ratio(tenfold.admitted_p99_ms, steady.admitted_p99_ms),
    };
  } finally {
    await stop(child);
    await store.close();
  }
}

/** Warm-up per configuration: JIT and heap settle later with two workers, each getting half the requests. */
const CLUSTER_WARMUP_SECONDS = wholeSetting('BENCH_CLUSTER_WARMUP', 20, 4);
/** Odd, so that a median is a measured round. */
const CLUSTER_ROUNDS = wholeSetting('BENCH_CLUSTER_ROUNDS', 5);
const CLUSTER_ROUND_SECONDS = wholeSetting('BENCH_CLUSTER_ROUND_SECONDS', 4);
/**
 * Closed-loop connections the comparison runs at. A closed loop of c connections gives at most
 * c / latency; on two cores shared with the load generator and Redis a request also waits for a
 * core, so 16 connections can leave two workers under-driven. Each configuration's capacity is its
 * best median over these.
 */
const CLUSTER_CONNECTIONS = wholeListSetting('BENCH_CLUSTER_CONNECTIONS', [16, 32, 64, 128]);

interface TokenServer {
  workers: number;
  pid: number;
  options: autocannon.Options;
}

async function tokenServer(env: Record<string, string>, workers: number): Promise<TokenServer & { child: ChildProcess }> {
  const { base, child } = await serve(env, workers);
  const client = await createClient(base, { client_name: `cc ${workers}`, grant_types: ['client_credentials'] }).catch(async (error: unknown) => {
    await stop(child);
    throw error;
  });
  const options = {
    url: `${base}/token`,
    method: 'POST' as const,
    headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  };
  return { workers, pid: child.pid!, options, child };
}

/** client_credentials tokens for `seconds` on `connections`, with where the CPU went meanwhile. */
async function tokenWindow(server: TokenServer, seconds: number, connections: number) {
  const { result, cpu } = await measureCpu(server.pid, () => autocannon({ ...server.options, connections, duration: seconds }));
  const ok = Number(result.statusCodeStats?.['200']?.count ?? 0);
  // A server that served nothing has failed; its ratio would only be Infinity or NaN.
  if (ok === 0) throw new Error(`--workers ${server.workers} served no token in ${seconds} s on ${connections} connections (${result.errors} errors, ${result.non2xx} other answers)`);
  return { tokens_per_s: round(ok / seconds), non_200: result.requests.total - ok, errors: result.errors, p50_ms: result.latency.p50, p99_ms: result.latency.p99, cpu };
}

type TokenWindow = Awaited<ReturnType<typeof tokenWindow>>;
/** The middle value; of an even count, the mean of the two middle ones. */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
/** The round whose tokens/s is the median (the upper middle one of an even count): its latency and CPU go with it. */
const medianWindow = (samples: TokenWindow[]) => [...samples].sort((a, b) => a.tokens_per_s - b.tokens_per_s)[Math.floor(samples.length / 2)]!;

/**
 * `--workers 1` and `--workers 2` side by side on one PostgreSQL + Redis. Each is first warmed up
 * alone (the report keeps its tokens/s per window, the climb included); then they are measured in
 * alternating rounds at each connection count, so a drift of the machine touches both, and the
 * medians are compared. The headline ratio is of capacities: each configuration's best median.
 */
async function cluster() {
  const store = await backend('postgres', true);
  const servers: Array<Awaited<ReturnType<typeof tokenServer>>> = [];
  const most = Math.max(...CLUSTER_CONNECTIONS);
  try {
    for (const workers of [1, 2]) servers.push(await tokenServer(store.env, workers));
    const warmup = new Map<number, number[]>();
    for (const server of servers) {
      const windows: number[] = [];
      for (let elapsed = 0; elapsed < CLUSTER_WARMUP_SECONDS; elapsed += 4) windows.push((await tokenWindow(server, 4, most)).tokens_per_s);
      warmup.set(server.workers, windows);
    }
    const key = (workers: number, connections: number) => `${workers}@${connections}`;
    const rounds = new Map<string, TokenWindow[]>(servers.flatMap((server) => CLUSTER_CONNECTIONS.map((connections) => [key(server.workers, connections), []] as [string, TokenWindow[]])));
    // A B, B A, A B …: neither configuration always goes first (the order also turns with the
    // connection count, so an odd number of rounds favours neither).
    for (let i = 0; i < CLUSTER_ROUNDS; i++) {
      for (const [c, connections] of CLUSTER_CONNECTIONS.entries()) {
        for (const server of (i + c) % 2 === 0 ? servers : [...servers].reverse()) {
          rounds.get(key(server.workers, connections))!.push(await tokenWindow(server, CLUSTER_ROUND_SECONDS, connections));
        }
      }
    }
    const summary = (workers: number) => {
      const byConnections = Object.fromEntries(
        CLUSTER_CONNECTIONS.map((connections) => {
          const samples = rounds.get(key(workers, connections))!;
          const middle = medianWindow(samples);
          return [
            connections,
            {
              tokens_per_s: middle.tokens_per_s,
              rounds_tokens_per_s: samples.map((sample) => sample.tokens_per_s),
              non_200: samples.reduce((sum, sample) => sum + sample.non_200, 0),
              errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
              p50_ms: middle.p50_ms,
              p99_ms: middle.p99_ms,
              cpu: middle.cpu,
            },
          ];
        }),
      );
      const best = CLUSTER_CONNECTIONS.reduce((a, b) => (byConnections[b]!.tokens_per_s > byConnections[a]!.tokens_per_s ? b : a));
      return { tokens_per_s: byConnections[best]!.tokens_per_s, at_connections: best, by_connections: byConnections, warmup_tokens_per_s: warmup.get(workers)! };
    };
    const one = summary(1);
    const two = summary(2);
    return {
      database: 'postgres + redis',
      warmup_seconds: CLUSTER_WARMUP_SECONDS,
      warmup_connections: most,
      round_seconds: CLUSTER_ROUND_SECONDS,
      workers_1: one,
      workers_2: two,
      /** Of capacities: each configuration's best median tokens/s over the connection counts. */
      ratio_2_to_1_capacity: ratio(two.tokens_per_s, one.tokens_per_s),
      /** At each connection count: ratio of the medians, and the median of the round-by-round ratios. */
      ratio_2_to_1_by_connections: Object.fromEntries(
        CLUSTER_CONNECTIONS.map((connections) => {
          const pairs = rounds.get(key(2, connections))!.map((sample, i) => sample.tokens_per_s / rounds.get(key(1, connections))![i]!.tokens_per_s);
          return [connections, { of_medians: ratio(two.by_connections[connections]!.tokens_per_s, one.by_connections[connections]!.tokens_per_s), median_of_rounds: round(median(pairs), 2) }];
        }),
      ),
      /** The first warm-up window of each: what a freshly started server gives. */
      ratio_2_to_1_cold: ratio(two.warmup_tokens_per_s[0]!, one.warmup_tokens_per_s[0]!),
    };
  } finally {
    await Promise.allSettled(servers.map((server) => stop(server.child)));
    await store.close();
  }
}

/** Size rounds: the 1,000 and the 1,000,000 server alternate, so a drift of the machine touches both. */
const SIZE_ROUNDS = wholeSetting('BENCH_SIZE_ROUNDS', 3);
const SIZE_ROUND_SECONDS = wholeSetting('BENCH_SIZE_ROUND_SECONDS', 5);

interface SizeServer {
  customers: number;
  base: string;
  child: ChildProcess;
  signIns: PreparedSignIn[];
  rounds: Array<{ lookups: Timed[]; signIns: Timed[] }>;
}

/** A server on a database of `customers`, with one interaction prepared per sign-in it may get. */
async function sizeServer(env: Record<string, string>, customers: number): Promise<SizeServer> {
  const { base, child } = await serve(env, 1);
  try {
    const web = await createClient(base, { client_name: 'size web', redirect_uris: [REDIRECT], first_party: true, token_endpoint_auth_method: 'none' });
    const signIns = await prepareSignIns(base, web.client_id, 200 * SIZE_ROUND_SECONDS * SIZE_ROUNDS, () => seedEmail(Math.floor(Math.random() * customers)), SEEDED_PASSWORD);
    return { customers, base, child, signIns, rounds: [] };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** One round: lookups by e-mail, then password sign-ins, four callers each. */
async function sizeRound(server: SizeServer): Promise<void> {
  const pick = () => Math.floor(Math.random() * server.customers);
  const lookups = await closedLoop(server.base, 4, SIZE_ROUND_SECONDS, () => ({ path: `/api/v1/customers?email=${encodeURIComponent(seedEmail(pick()))}`, headers: { authorization: `Bearer ${ADMIN_KEY}` } }));
  const used = server.rounds.reduce((sum, each) => sum + each.signIns.length, 0);
  const signIns = await closedLoop(server.base, 4, SIZE_ROUND_SECONDS, (i) => {
    const item = server.signIns[(used + i) % server.signIns.length]!;
    return { method: 'POST', path: item.path, body: item.body, headers: { cookie: item.cookie, 'content-type': 'application/x-www-form-urlencoded' } };
  });
  server.rounds.push({ lookups, signIns });
}

/** Per kind of request: every round's p50, their median, and the p99 of all rounds together. */
function sizeSummary(server: SizeServer) {
  const summarize = (pick: (each: SizeServer['rounds'][number]) => Timed[], ok: number) => {
    const all = server.rounds.flatMap(pick);
    const p50s = server.rounds.map((each) => percentile(ms(pick(each).filter((result) => result.status === ok)), 50));
    return { requests: all.length, statuses: byStatus(all), p50_ms: round(median(p50s), 2), rounds_p50_ms: p50s, p99_ms: percentile(ms(all.filter((result) => result.status === ok)), 99) };
  };
  const signIns = summarize((each) => each.signIns, 303);
  return { customers: server.customers, lookup: summarize((each) => each.lookups, 200), sign_in: { ...signIns, reused_interactions: Math.max(0, signIns.requests - server.signIns.length) } };
}

/**
 * 1,000 and 1,000,000 customers in two databases of one engine, each behind its own server, side
 * by side: measured in alternating rounds (A B, B A, …), p50 per round, medians compared.
 */
async function size(dialect: TestDialect) {
  const stores: Backend[] = [];
  const servers: SizeServer[] = [];
  try {
    for (let i = 0; i < 2; i++) stores.push(await backend(dialect, false));
    seed(stores[0]!.env, SMALL);
    const seedingBegan = performance.now();
    seed(stores[1]!.env, LARGE);
    const seedSeconds = round((performance.now() - seedingBegan) / 1000);
    // One at a time, so that a server is stopped below even when the next one fails to start.
    servers.push(await sizeServer(stores[0]!.env, SMALL));
    servers.push(await sizeServer(stores[1]!.env, LARGE));
    for (let i = 0; i < SIZE_ROUNDS; i++) for (const server of i % 2 === 0 ? servers : [...servers].reverse()) await sizeRound(server);
    const [small, large] = servers.map(sizeSummary) as [ReturnType<typeof sizeSummary>, ReturnType<typeof sizeSummary>];
    return {
      rounds: SIZE_ROUNDS,
      round_seconds: SIZE_ROUND_SECONDS,
      small,
      large,
      seed_seconds: seedSeconds,
      ratio_lookup_p50: ratio(large.lookup.p50_ms, small.lookup.p50_ms),
      ratio_sign_in_p50: ratio(large.sign_in.p50_ms, small.sign_in.p50_ms),
    };
  } finally {
    await Promise.allSettled(servers.map((server) => stop(server.child)));
    for (const store of stores) await store.close();
  }
}

/** Malformed requests to every endpoint for SECONDS on a fresh SQLite server (bench/flood.ts). */
async function flood() {
  const store = await backend('sqlite', false);
  const live = new LiveHeap();
  const { base, child } = await serve(store.env, 1, FLOOD_SERVER_FLAGS, live.observe);
  try {
    const report = await badInputFlood(base, child.pid!, SECONDS, ADMIN_KEY, live);
    const { malformed, valid_during_flood: valid, after, rss_mib: rss, live_heap_mib: liveHeap, five_xx_requests: fiveXx } = report;
    return { seconds: report.seconds, warmup_seconds: report.warmup_seconds, warmup: report.warmup, malformed: { distinct_requests: malformed.distinct_requests, sent: malformed.sent, status_classes: malformed.status_classes, status_5xx: malformed.status_5xx, errors: malformed.errors, timeouts: malformed.timeouts }, valid_during_flood: valid, after, rss_mib: rss, live_heap_mib: liveHeap, five_xx_requests: fiveXx };
  } finally {
    await stop(child);
    await store.close();
  }
}

/** BENCH_ONLY=burst,cluster,size,flood runs some of them (all by default); BENCH_SIZE_DIALECTS=postgres one size. */
const only = new Set((process.env.BENCH_ONLY ?? 'burst,cluster,size,flood').split(','));
const sizeDialects = (process.env.BENCH_SIZE_DIALECTS ?? 'sqlite,postgres').split(',') as TestDialect[];

async function sequentially<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await run(item));
  return results;
}

const report = {
  measured_at: new Date().toISOString(),
  machine: { cores: availableParallelism(), node: process.version },
  seconds_per_measurement: SECONDS,
  burst: only.has('burst') ? await burst() : null,
  cluster: only.has('cluster') ? await cluster() : null,
  size: only.has('size') ? Object.fromEntries(await sequentially(sizeDialects, async (dialect) => [dialect, await size(dialect)] as const)) : null,
  bad_input_flood: only.has('flood') ? await flood() : null,
};
const text = JSON.stringify(report, null, 2);
writeFileSync(join(ROOT, 'bench/scale-report.json'), `${text}\n`);
process.stdout.write(`${text}\n`);
