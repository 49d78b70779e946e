import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { freePort } from '../test/support/free-port.ts';
import { BENCH_ADMIN_KEY, startChild, stop } from './child-process.ts';
import { percentile, ratio } from './load-loops.ts';
import { apiRequests, FORM_TYPE, KIB, type Malformed, type OpenApiOperation } from './flood/api-requests.ts';
import { basic, pageRequests, prepareFixtures, protocolRequests, type Fixtures } from './flood/protocol-and-page-requests.ts';
import { LiveHeap } from './live-heap.ts';
import { wholeSetting } from './settings.ts';

/**
 * Bad input under load: a flood of malformed requests to every endpoint family (management API
 * from its OpenAPI document, oidc-provider's protocol endpoints, hosted sign-in and account pages,
 * public assets, health) for `seconds`, with a trickle of valid requests alongside. The server
 * should keep serving the valid ones, answer no 5xx and keep its memory flat.
 *
 * 1. Setup: two clients (a first-party web client, a client_credentials service) and a live
 *    interaction, so malformed input also reaches the checks behind a known client or uid.
 * 2. Probe: every distinct malformed request once, on its own connection (exact status per
 *    request, and whether the server hangs up after answering).
 * 3. Warm-up: the flood and the valid trickle until RSS levels off (JIT, caches, heap sizing).
 * 4. RSS before, flood for `seconds` (autocannon on keep-alive connections, plus a lane of its own
 *    for the requests the server hangs up after), RSS right after and after a settle.
 *
 * `node bench/flood.ts` starts its own Portvakt on SQLite (with FLOOD_SERVER_FLAGS) and prints the
 * report (BENCH_SECONDS, BENCH_CONNECTIONS; BENCH_WARMUP_SECONDS and BENCH_WARMUP_MAX_SECONDS bound
 * the warm-up). A 5xx found is reported with the exact request in
 * `five_xx_requests`.
 */
export interface FloodReport {
  seconds: number;
  connections: number;
  warmup_seconds: number;
  /** RSS at the start and after each 4 s warm-up window; levelled: the last two windows together grew it by less than 2 %. */
  warmup: { seconds: number; rss_mib: number[]; levelled: boolean };
  malformed: {
    distinct_requests: number;
    by_family: Record<string, number>;
    sent: number;
    responses: number;
    requests_per_s: number;
    statuses: Record<string, number>;
    status_classes: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
    status_5xx: number;
    /** Connection errors and requests left unanswered. */
    errors: number;
    timeouts: number;
    /** autocannon's latency (keep-alive requests). */
    p50_ms: number;
    p99_ms: number;
    /** Requests after which the server hangs up: sent one per connection, beside autocannon. */
    closing_lane: { distinct_requests: number; sent: number; statuses: Record<string, number> };
  };
  /** Each distinct request sent once, alone, before the flood: its exact status. */
  probe: {
    statuses: Record<string, number>;
    status_5xx: number;
    no_response: number;
    /** Malformed requests the server accepted (2xx): not wrong in themselves, but worth a look. */
    accepted_2xx: string[];
  };
  valid_during_flood: {
    sent: number;
    ok: number;
    non_200: number;
    failed: number;
    statuses: Record<string, number>;
    p50_ms: number;
    p99_ms: number;
    max_ms: number;
  };
  after: { ready: boolean; valid_ok: boolean; process_alive: boolean };
  rss_mib: {
    before: number;
    after: number;
    settled: number;
    peak_during: number;
    /** Sampled once a second during the flood. */
    each_second: number[];
    ratio_after_to_before: number;
    ratio_settled_to_before: number;
  };
  /**
   * The server's own view from /metrics (prom-client defaults), when it answers without a token:
   * RSS growing with the JS heap in use is the heap; growing alone, native memory or allocator.
   */
  heap_mib: { before: HeapSample; after: HeapSample; settled: HeapSample } | null;
  /**
   * The heap V8 kept after each full collection (from `--trace-gc`, bench/live-heap.ts) during the
   * warm-up and during the flood: what the server holds without the garbage RSS includes, plus
   * what was allocated while the collector marked. A leak shows as values that keep rising.
   */
  live_heap_mib: { warmup: number[]; flood: number[] } | null;
  /** Every distinct request answered 5xx (or left unanswered) in the probe or the flood. */
  five_xx_requests: Array<{ family: string; name: string; method: string; path: string; headers: Record<string, string>; body: string; probe_status: number | string; flood_5xx: number }>;
}


const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/**
 * Before the RSS baseline: JIT and caches warm, and the heap grown to its working size. V8 grows
 * the heap with the work done, not with time, so a slower machine needs longer: the warm-up goes
 * on in 4 s windows until the last two together grew RSS by less than WARMUP_LEVEL (at least
 * BENCH_WARMUP_SECONDS, at most BENCH_WARMUP_MAX_SECONDS, both rounded up to whole windows). A
 * leak never levels off: the warm-up then ends at its maximum, says so (`levelled: false`), and the flood after it still shows the growth. The minimum spans
 * a full collection cycle: under this flood V8 collects the old generation every 10–20 s, and RSS
 * can sit still for two windows in between and then climb again (seen at 16 s: 398 MiB, then 528).
 */
const WARMUP_MIN_SECONDS = wholeSetting('BENCH_WARMUP_SECONDS', 28, 0);
const WARMUP_MAX_SECONDS = Math.max(WARMUP_MIN_SECONDS, wholeSetting('BENCH_WARMUP_MAX_SECONDS', 60, 0));
const WARMUP_WINDOW_SECONDS = 4;
const WARMUP_LEVEL = 0.02;

/**
 * Node flags of the flooded server. `--trace-gc` gives the live heap. The V8 heap is capped at
 * 192 MiB (the live heap under this flood is 50–80 MiB) so that V8 collects its old generation
 * when that is full, instead of letting it grow toward its default limit (about 4 GiB on a 24 GiB
 * machine) in steps that RSS follows for minutes whatever the server keeps: uncapped, RSS rose
 * 499 → 609 MiB in one measured 10 s while the live heap stayed 59–88 MiB. Capped, a server that
 * kept memory would die of it, and the report would show it not alive.
 */
export const FLOOD_SERVER_FLAGS = ['--trace-gc', '--max-old-space-size=192'];
const SETTLE_MS = 3000;

export interface HeapSample {
  heap_used: number;
  heap_total: number;
  external: number;
}

interface ProbeResult {
  /** The status code, or why there was none. */
  status: number | string;
  /** The server hung up after answering (parser errors, bodies it will not read): autocannon cannot pair those. */
  closes: boolean;
}

/** The bytes autocannon would send for this request (keep-alive), for the probe and the closing lane. */
function rawRequest(request: Malformed, host: string): Buffer {
  const lines = [`${request.method} ${request.path} HTTP/1.1`];
  if (!Object.keys(request.headers).some((key) => key.toLowerCase() === 'host')) lines.push(`Host: ${host}`);
  lines.push('Connection: keep-alive');
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
  for (const [key, value] of Object.entries(request.headers)) lines.push(`${key}: ${value}`);
  if (body.length > 0) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body]);
}

/** Where a complete response ends in `data` (latin1, one char a byte), or -1 while incomplete. */
function responseEnd(data: string): number {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return -1;
  const head = data.slice(0, headEnd);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (status === 204 || status === 304) return headEnd + 4;
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (length) return data.length >= headEnd + 4 + Number(length[1]) ? headEnd + 4 + Number(length[1]) : -1;
  if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) {
    const last = data.indexOf('\r\n0\r\n\r\n', headEnd);
    return last >= 0 ? last + 7 : -1;
  }
  return -1; // Delimited by the connection closing.
}

/**
 * One request on a connection of its own. Once its response is complete, a `GET /healthz` follows
 * on the same connection: answered, the connection stays usable; not answered, the server hung up
 * after the malformed request (with or without saying so), which autocannon cannot pair up.
 */
function sendOne(url: URL, request: Malformed, timeoutMs = 10_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    let status: number | string | undefined;
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const hungUp = (why: string) => finish(status === undefined ? { status: why, closes: true } : { status, closes: true });
    const timer = setTimeout(() => hungUp('timeout'), timeoutMs);
    socket.on('connect', () => socket.write(rawRequest(request, url.host)));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (status === undefined) {
        const end = responseEnd(data);
        if (end < 0) {
          if (data.length > 4 * 1024 * KIB) hungUp('response too large');
          return;
        }
        const match = /^HTTP\/1\.[01] (\d{3})/.exec(data);
        if (!match) return finish({ status: `garbled: ${data.slice(0, 40)}`, closes: true });
        status = Number(match[1]);
        data = data.slice(end);
        socket.write(`GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
      }
      if (/^HTTP\/1\.[01] \d{3}/.test(data)) finish({ status, closes: false });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => hungUp(`error: ${error.code ?? error.message}`));
    socket.on('end', () => hungUp('closed without a response'));
    socket.on('close', () => hungUp('closed without a response'));
  });
}

async function probeAll(base: string, requests: Malformed[], concurrency = 4): Promise<ProbeResult[]> {
  const url = new URL(base);
  const results: ProbeResult[] = new Array(requests.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const i = next++;
        results[i] = await sendOne(url, requests[i]!);
      }
    }),
  );
  return results;
}

function rssMib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Heap figures from /metrics, or null when it is closed (METRICS_TOKEN set) or lacks them. */
async function heapSample(base: string): Promise<HeapSample | null> {
  try {
    const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (response.status !== 200) return null;
    const text = await response.text();
    const mib = (name: string) => {
      const value = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1];
      return value === undefined ? Number.NaN : Math.round((Number(value) / 1024 / 1024) * 10) / 10;
    };
    const sample = { heap_used: mib('nodejs_heap_size_used_bytes'), heap_total: mib('nodejs_heap_size_total_bytes'), external: mib('nodejs_external_memory_bytes') };
    return Number.isNaN(sample.heap_used) ? null : sample;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Valid requests, one at a time with a short pause, until `signal` aborts: what a customer would see. */
async function validTrickle(base: string, f: Fixtures, signal: AbortSignal, pauseMs = 50) {
  const requests: Array<() => Promise<Response>> = [
    () => fetch(`${base}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) }),
    () => fetch(`${base}/jwks`, { signal: AbortSignal.timeout(10_000) }),
    () =>
      fetch(`${base}/token`, {
        method: 'POST',
        headers: { authorization: basic(f.serviceClientId, f.serviceSecret), 'content-type': FORM_TYPE },
        body: 'grant_type=client_credentials',
        signal: AbortSignal.timeout(10_000),
      }),
  ];
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let failed = 0;
  while (!signal.aborted) {
    const started = performance.now();
    sent++;
    try {
      const response = await requests[sent % requests.length]!();
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status === 200) ok++;
    } catch {
      failed++;
    }
    await sleep(pauseMs);
  }
  latencies.sort((a, b) => a - b);
  return { sent, ok, non_200: sent - ok - failed, failed, statuses, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), max_ms: percentile(latencies, 100) };
}


interface FloodCounts {
  sent: number;
  statuses: Record<string, number>;
  noResponse: number;
  /** 5xx (and unanswered) per distinct request. */
  bad: number[];
}

/**
 * autocannon on `connections` keep-alive connections, cycling through the requests the probe saw
 * answered on an open connection; the ones the server answers and then hangs up on go through a
 * lane of their own (one connection per request), since autocannon pairs later answers with the
 * wrong request once a connection drops under it.
 */
async function flood(base: string, requests: Malformed[], closing: Set<number>, seconds: number, counts?: FloodCounts): Promise<autocannon.Result> {
  const url = new URL(base);
  const kept = requests.flatMap((request, index) => (closing.has(index) ? [] : [{ request, index }]));
  const lane = requests.flatMap((request, index) => (closing.has(index) ? [{ request, index }] : []));
  const stopLane = new AbortController();
  const laneRuns = Array.from({ length: lane.length > 0 ? 2 : 0 }, async (_, worker) => {
    for (let i = worker; !stopLane.signal.aborted; i += 2) {
      const { request, index } = lane[i % lane.length]!;
      const result = await sendOne(url, request);
      if (!counts) continue;
      counts.sent++;
      if (typeof result.status === 'number') counts.statuses[result.status] = (counts.statuses[result.status] ?? 0) + 1;
      else counts.noResponse++;
      if (typeof result.status !== 'number' || result.status >= 500) counts.bad[index]!++;
    }
  });
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 10,
    requests: kept.map(({ request, index }) => ({
      method: request.method,
      path: request.path,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      onResponse: (status: number) => {
        if (counts && status >= 500) counts.bad[index]!++;
      },
    })),
  });
  stopLane.abort();
  await Promise.all(laneRuns);
  return result;
}

const describeBody = (body: string | Buffer | undefined) => {
  if (body === undefined) return '';
  const text = Buffer.isBuffer(body) ? `<bytes ${body.toString('hex').slice(0, 120)}>` : body;
  return text.length > 300 ? `${text.slice(0, 300)}… (${Buffer.byteLength(body)} bytes)` : text;
};
const describeHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, value.length > 200 ? `${value.slice(0, 200)}… (${value.length} chars)` : value]));
const add = (into: Record<string, number>, key: string, count = 1) => {
  into[key] = (into[key] ?? 0) + count;
};

/** The malformed requests for this server, built from its OpenAPI document and a live interaction. */
export async function malformedRequests(base: string, adminKey: string): Promise<{ requests: Malformed[]; fixtures: Fixtures }> {
  const openapi = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, OpenApiOperation>> };
  const fixtures = await prepareFixtures(base, adminKey);
  return { requests: [...apiRequests(openapi, adminKey), ...protocolRequests(fixtures), ...pageRequests(fixtures)], fixtures };
}

/** The trace-gc lines come through a pipe: what the server printed just now is read first. */
async function takeLiveHeap(live: LiveHeap): Promise<number[]> {
  await sleep(100);
  return live.takeAll();
}

/** `live`: fed the server's `--trace-gc` lines, it adds the live heap to the report. */
export async function badInputFlood(base: string, pid: number, seconds: number, adminKey: string, live?: LiveHeap): Promise<FloodReport> {
  const { requests, fixtures } = await malformedRequests(base, adminKey);
  const byFamily: Record<string, number> = {};
  for (const request of requests) add(byFamily, request.family);

  // Probe: each request alone, so a 5xx is pinned on the exact request, and the ones after which
  // the server hangs up are known before the flood.
  const probe = await probeAll(base, requests);
  const probeStatuses: Record<string, number> = {};
  for (const { status } of probe) add(probeStatuses, typeof status === 'number' ? String(status) : 'no_response');
  const closing = new Set(probe.flatMap((result, index) => (result.closes ? [index] : [])));

  // Warm-up: the same mix, with valid requests alongside, until RSS levels off.
  const warmStop = new AbortController();
  const warmTrickle = validTrickle(base, fixtures, warmStop.signal);
  const warmup = { seconds: 0, rss_mib: [rssMib(pid)], levelled: false };
  live?.takeAll();
  while (warmup.seconds < WARMUP_MAX_SECONDS && !warmup.levelled) {
    await flood(base, requests, closing, WARMUP_WINDOW_SECONDS);
    warmup.seconds += WARMUP_WINDOW_SECONDS;
    warmup.rss_mib.push(rssMib(pid));
    warmup.levelled = warmup.seconds >= WARMUP_MIN_SECONDS && warmup.rss_mib.length >= 3 && warmup.rss_mib.at(-1)! < warmup.rss_mib.at(-3)! * (1 + WARMUP_LEVEL);
  }
  warmStop.abort();
  await warmTrickle;
  await sleep(1000);

  const heapBefore = await heapSample(base);
  const before = rssMib(pid);
  let peak = before;
  const timeline: number[] = [];
  let ticks = 0;
  const sampler = setInterval(() => {
    if (!alive(pid)) return;
    const rss = rssMib(pid);
    peak = Math.max(peak, rss);
    if (++ticks % 4 === 0) timeline.push(rss);
  }, 250);
  const counts: FloodCounts = { sent: 0, statuses: {}, noResponse: 0, bad: new Array<number>(requests.length).fill(0) };
  const stopTrickle = new AbortController();
  const trickle = validTrickle(base, fixtures, stopTrickle.signal);
  const liveWarmup = live ? await takeLiveHeap(live) : [];
  const result = await flood(base, requests, closing, seconds, counts);
  const liveFlood = live ? await takeLiveHeap(live) : [];
  stopTrickle.abort();
  const valid = await trickle;
  clearInterval(sampler);
  const processAlive = alive(pid);
  const after = processAlive ? rssMib(pid) : Number.NaN;
  const heapAfter = await heapSample(base);
  await sleep(SETTLE_MS);
  const settled = alive(pid) ? rssMib(pid) : Number.NaN;
  const heapSettled = await heapSample(base);

  const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
  const validAfter = await Promise.all([
    fetch(`${base}/.well-known/openid-configuration`).then((r) => r.status === 200, () => false),
    fetch(`${base}/token`, { method: 'POST', headers: { authorization: basic(fixtures.serviceClientId, fixtures.serviceSecret), 'content-type': FORM_TYPE }, body: 'grant_type=client_credentials' }).then((r) => r.status === 200, () => false),
  ]);

  const statuses: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) add(statuses, code, Number(stats?.count ?? 0));
  for (const [code, count] of Object.entries(counts.statuses)) add(statuses, code, count);
  const classes = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  for (const [code, count] of Object.entries(statuses)) {
    const key = `${code[0]}xx`;
    if (key in classes) classes[key as keyof typeof classes] += count;
  }
  const responses = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  const laneSent = Object.values(counts.statuses).reduce((sum, count) => sum + count, 0) + counts.noResponse;
  const sorted = Object.fromEntries(Object.entries(statuses).sort(([a], [b]) => a.localeCompare(b)));

  const fiveXx = requests.flatMap((request, i) => {
    const { status } = probe[i]!;
    if (!(typeof status !== 'number' || status >= 500) && counts.bad[i] === 0) return [];
    const path = request.path.length > 300 ? `${request.path.slice(0, 300)}… (${request.path.length} chars)` : request.path;
    return [{ family: request.family, name: request.name, method: request.method, path, headers: describeHeaders(request.headers), body: describeBody(request.body), probe_status: status, flood_5xx: counts.bad[i]! }];
  });

  return {
    seconds,
    connections: CONNECTIONS,
    warmup_seconds: warmup.seconds,
    warmup,
    malformed: {
      distinct_requests: requests.length,
      by_family: byFamily,
      sent: result.requests.sent + laneSent,
      responses,
      requests_per_s: Math.round(responses / seconds),
      statuses: sorted,
      status_classes: classes,
      status_5xx: classes['5xx'],
      errors: result.errors + counts.noResponse,
      timeouts: result.timeouts,
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      closing_lane: { distinct_requests: closing.size, sent: laneSent, statuses: counts.statuses },
    },
    probe: {
      statuses: probeStatuses,
      status_5xx: probe.filter(({ status }) => typeof status === 'number' && status >= 500).length,
      no_response: probe.filter(({ status }) => typeof status !== 'number').length,
      accepted_2xx: requests.flatMap((request, i) => {
        const { status } = probe[i]!;
        return typeof status === 'number' && status >= 200 && status < 300 ? [`${status} ${request.family}: ${request.name}`] : [];
      }),
    },
    valid_during_flood: valid,
    after: { ready, valid_ok: validAfter.every(Boolean), process_alive: processAlive && alive(pid) },
    rss_mib: { before, after, settled, peak_during: peak, each_second: timeline, ratio_after_to_before: ratio(after, before), ratio_settled_to_before: ratio(settled, before) },
    heap_mib: heapBefore && heapAfter && heapSettled ? { before: heapBefore, after: heapAfter, settled: heapSettled } : null,
    live_heap_mib: live ? { warmup: liveWarmup, flood: liveFlood } : null,
    five_xx_requests: fiveXx,
  };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-flood-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const live = new LiveHeap();
  const child = await startChild(
    [...FLOOD_SERVER_FLAGS, 'src/cli.ts', 'start'],
    { PORT: String(port), HOST: '127.0.0.1', PORTVAKT_DATA_DIR: dataDir, PORTVAKT_ADMIN_KEY: BENCH_ADMIN_KEY, LOG_LEVEL: 'warn', RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_CLIENT_PER_MINUTE: '0' },
    `${base}/readyz`,
    live.observe,
  );
  // Should this process die on an uncaught error, the server and its data go with it.
  const cleanUp = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  try {
    if (child.pid === undefined) throw new Error('Portvakt has no pid');
    const report = await badInputFlood(base, child.pid, Number(process.env.BENCH_SECONDS ?? 10), BENCH_ADMIN_KEY, live);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) await stop(child);
    process.off('exit', cleanUp);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
