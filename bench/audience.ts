import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, DIALECTS, type TestDialect } from '../test/support/databases.ts';
import { freePort } from '../test/support/free-port.ts';
import { BENCH_ADMIN_KEY as ADMIN_KEY, BENCH_SECRET as SECRET, memory, ROOT, runNode, startChild, stop } from './child-process.ts';
import { exportAudience } from './load-loops.ts';
import { AUDIENCE_HEAP_CAP_MIB, LiveHeap } from './live-heap.ts';

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
const texts = { title: 'Newsletter', description: 'Offers by e-mail', legal_text: 'We send offers by e-mail until you withdraw.' };

const exportAll = (base: string) => exportAudience(base, `/api/v1/consent-purposes/${PURPOSE}/customers?state=granted`, PAGE, { authorization: `Bearer ${ADMIN_KEY}` });

async function measure(dialect: TestDialect) {
  const database = await createTestDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_ADMIN_KEY: ADMIN_KEY, PORTVAKT_SECRET: SECRET, LOG_LEVEL: 'warn' };
  const live = new LiveHeap();
  const startServer = () => startChild([`--max-old-space-size=${AUDIENCE_HEAP_CAP_MIB}`, '--trace-gc', 'src/cli.ts', 'start'], env, `${base}/readyz`, live.observe);
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
      const seed = JSON.parse(await runNode(['src/cli.ts', 'seed', '--customers', String(size - seeded), '--start', String(seeded), '--consent', PURPOSE], env)) as { customers_per_s: number };
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
  server_heap_cap_mib: AUDIENCE_HEAP_CAP_MIB,
};
for (const dialect of DIALECTS) report[dialect] = await measure(dialect);
const text = JSON.stringify(report, null, 2);
writeFileSync(join(ROOT, 'bench/audience-report.json'), `${text}\n`);
process.stdout.write(`${text}\n`);
