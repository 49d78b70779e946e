import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, DIALECTS, type TestDialect } from '../test/support/databases.ts';
import { freePort } from '../test/support/free-port.ts';
import { BENCH_ADMIN_KEY as ADMIN_KEY, BENCH_SECRET as SECRET, ROOT, startChild, stop } from './child-process.ts';
import { LiveHeap } from './live-heap.ts';

/**
 * `npm run bench:audience` (also part of `npm run bench`): the audience export of a consent purpose
 * (`GET /api/v1/consent-purposes/{key}/customers?state=granted`, cursor pagination) over seeded
 * customers who all granted it, on SQLite and PostgreSQL. Measured at a tenth of the audience and
 * at the whole, each time on a freshly started server: rows/s, the server's live heap (after each
 * full collection) and its peak resident memory (VmHWM). The live heap must stay flat as the
 * audience grows tenfold and when the whole audience is streamed a second time.
 */
const AUDIENCE = Number(process.env.BENCH_AUDIENCE ?? 1_000_000);
const PAGE = Number(process.env.BENCH_AUDIENCE_PAGE ?? 1000);
const PURPOSE = 'newsletter';
/**
 * The server runs with its V8 old space capped far below what a million ids would take if a page
 * (or anything else) held on to them. Uncapped, V8 grows its heap lazily under a long stream of
 * short-lived garbage, so peak RSS says more about the collector than about what is retained;
 * capped, an export that kept its audience in memory would die, and one that does not finishes.
 */
const HEAP_CAP_MIB = 96;

const texts = { title: 'Newsletter', description: 'Offers by e-mail', legal_text: 'We send offers by e-mail until you withdraw.' };

function run(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited with ${code}`)))));
}

/** Resident memory of a process in MiB: now (VmRSS) and at its peak (VmHWM). */
function memory(child: ChildProcess): { rss_mib: number; peak_mib: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss_mib: Math.round(kib('VmRSS') / 1024), peak_mib: Math.round(kib('VmHWM') / 1024) };
}

async function exportAll(base: string): Promise<{ rows: number; pages: number; seconds: number }> {
  const began = performance.now();
  let after: string | null = null;
  let last = '';
  let rows = 0;
  let pages = 0;
  do {
    const query: string = `state=granted&limit=${PAGE}${after ? `&after=${after}` : ''}`;
    const response = await fetch(`${base}/api/v1/consent-purposes/${PURPOSE}/customers?${query}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    if (response.status !== 200) throw new Error(`export page ${pages} answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { customers: string[]; next: string | null };
    for (const id of page.customers) {
      // Strictly increasing ids across pages: nothing repeated, nothing skipped by the cursor.
      if (id <= last) throw new Error(`customer ${id} came after ${last}`);
      last = id;
    }
    rows += page.customers.length;
    pages += 1;
    after = page.next;
  } while (after);
  return { rows, pages, seconds: (performance.now() - began) / 1000 };
}

async function measure(dialect: TestDialect) {
  const database = await createTestDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_ADMIN_KEY: ADMIN_KEY, PORTVAKT_SECRET: SECRET, LOG_LEVEL: 'warn' };
  const live = new LiveHeap();
  const startServer = () => startChild([`--max-old-space-size=${HEAP_CAP_MIB}`, '--trace-gc', 'src/cli.ts', 'start'], env, `${base}/readyz`, live.observe);
  const stages: Array<Record<string, number>> = [];
  try {
    let server = await startServer();
    const created = await fetch(`${base}/api/v1/consent-purposes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: PURPOSE, texts: { sv: texts, en: texts } }),
    });
    if (created.status !== 201) throw new Error(`creating the purpose answered ${created.status}`);
    await stop(server);

    let seeded = 0;
    for (const size of [Math.round(AUDIENCE / 10), AUDIENCE]) {
      const seed = JSON.parse(await run(['src/cli.ts', 'seed', '--customers', String(size - seeded), '--start', String(seeded), '--consent', PURPOSE], env)) as { customers_per_s: number };
      seeded = size;
      server = await startServer();
      const idle = memory(server);
      live.take();
      const exported = await exportAll(base);
      const after = memory(server);
      const liveFirst = live.take();
      // The same audience once more on the same server: memory that grew with the audience would grow again.
      const again = size === AUDIENCE ? await exportAll(base) : undefined;
      const afterAgain = again ? memory(server) : undefined;
      const liveAgain = live.take();
      await stop(server);
      if (exported.rows !== size) throw new Error(`${dialect}: exported ${exported.rows} of ${size}`);
      stages.push({
        audience: size,
        pages: exported.pages,
        seconds: Math.round(exported.seconds * 10) / 10,
        rows_per_s: Math.round(exported.rows / exported.seconds),
        idle_rss_mib: idle.rss_mib,
        peak_rss_mib: after.peak_mib,
        max_live_heap_mib: liveFirst,
        ...(afterAgain && again ? { second_pass_rows_per_s: Math.round(again.rows / again.seconds), peak_rss_after_second_pass_mib: afterAgain.peak_mib, second_pass_max_live_heap_mib: liveAgain } : {}),
        seed_customers_per_s: seed.customers_per_s,
      });
      process.stderr.write(`${dialect}: ${JSON.stringify(stages.at(-1))}\n`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await database.drop();
  }
  const [tenth, whole] = stages as [Record<string, number>, Record<string, number>];
  return {
    stages,
    peak_memory_ratio_whole_to_tenth: Math.round((whole.peak_rss_mib! / tenth.peak_rss_mib!) * 100) / 100,
    peak_memory_ratio_second_pass_to_first: Math.round((whole.peak_rss_after_second_pass_mib! / whole.peak_rss_mib!) * 100) / 100,
    live_heap_ratio_whole_to_tenth: Math.round((whole.max_live_heap_mib! / tenth.max_live_heap_mib!) * 100) / 100,
    live_heap_ratio_second_pass_to_first: Math.round((whole.second_pass_max_live_heap_mib! / whole.max_live_heap_mib!) * 100) / 100,
    rows_per_s_ratio_whole_to_tenth: Math.round((whole.rows_per_s! / tenth.rows_per_s!) * 100) / 100,
  };
}

const report: Record<string, unknown> = {
  measured_at: new Date().toISOString(),
  machine: { cores: availableParallelism(), node: process.version },
  purpose: PURPOSE,
  page_size: PAGE,
  server_heap_cap_mib: HEAP_CAP_MIB,
};
for (const dialect of DIALECTS) report[dialect] = await measure(dialect);
const text = JSON.stringify(report, null, 2);
writeFileSync(join(ROOT, 'bench/audience-report.json'), `${text}\n`);
process.stdout.write(`${text}\n`);
