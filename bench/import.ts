import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { createTestDatabase, DIALECTS, type TestDialect } from '../test/support/databases.ts';
import { BENCH_SECRET as SECRET, ROOT } from './child-process.ts';

/**
 * `npm run bench:import` (also part of `npm run bench`): `portvakt import` of customers with
 * bcrypt hashes (kept as they are, not re-hashed at import) on SQLite and PostgreSQL, against
 * `portvakt seed` in the same run on the same database: customers/s of both, and the import's peak
 * resident memory (VmHWM) at a tenth of the file and at the whole, which must stay flat. One
 * bcrypt hash is computed and written on every line: the import checks a hash's format, never the
 * password, so a million distinct hashes (hours of bcrypt) would measure nothing more.
 */
const CUSTOMERS = Number(process.env.BENCH_IMPORT ?? 1_000_000);
/** The engines measured (`BENCH_IMPORT_DIALECTS=sqlite`: one alone, for a million lines on a shared machine); both by default. */
const ENGINES = (process.env.BENCH_IMPORT_DIALECTS?.split(',') ?? [...DIALECTS]).filter((name): name is TestDialect => (DIALECTS as readonly string[]).includes(name));

/**
 * Runs the CLI; answers its stdout, its peak resident memory in MiB (VmHWM, read from /proc while
 * it runs) and the peak of its anonymous part (RssAnon): on SQLite the database file is mapped
 * (`mmap_size`), so the resident total grows with the file's pages read or written, which the
 * kernel can drop, while the anonymous part is what the import itself holds.
 */
async function cli(args: string[], env: Record<string, string>): Promise<{ out: string; peakMib: number; peakAnonMib: number }> {
  const child = spawn(process.execPath, ['src/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let peak = 0;
  let peakAnon = 0;
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const sample = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peak = Math.max(peak, Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0));
      peakAnon = Math.max(peakAnon, Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1] ?? 0));
    } catch {
      // exited between two samples
    }
  }, 200);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(sample);
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  return { out, peakMib: Math.round(peak / 1024), peakAnonMib: Math.round(peakAnon / 1024) };
}

async function writeFile(path: string, from: number, count: number, hash: string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = from; i < from + count; i++) {
    const line = `${JSON.stringify({ source_id: `shop-${i}`, email: `moved${i}@bench.example`, email_verified: true, given_name: 'Moved', family_name: `Customer${i % 1000}`, locale: 'sv', password_hash: hash })}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function measure(dialect: TestDialect, hash: string) {
  const database = await createTestDatabase(dialect);
  const dir = mkdtempSync(join(tmpdir(), 'portvakt-bench-import-'));
  const env = { DATABASE_URL: database.url, PORTVAKT_DATA_DIR: dir, PORTVAKT_SECRET: SECRET, LOG_LEVEL: 'warn' };
  try {
    await cli(['migrate'], env);
    const seed = JSON.parse((await cli(['seed', '--customers', String(CUSTOMERS)], env)).out) as { customers_per_s: number };
    process.stderr.write(`${dialect}: seed ${seed.customers_per_s} customers/s\n`);
    const stages: Array<Record<string, number>> = [];
    let imported = 0;
    for (const size of [Math.round(CUSTOMERS / 10), CUSTOMERS]) {
      const file = join(dir, `customers-${size}.ndjson`);
      await writeFile(file, imported, size, hash);
      const run = await cli(['import', file, '--platform', 'bench'], env);
      const summary = JSON.parse(run.out) as { accepted: number; seconds: number };
      if (summary.accepted !== size) throw new Error(`${dialect}: accepted ${summary.accepted} of ${size}`);
      imported += size;
      rmSync(file);
      stages.push({ lines: size, seconds: summary.seconds, customers_per_s: Math.round(size / summary.seconds), peak_rss_mib: run.peakMib, peak_anon_mib: run.peakAnonMib });
      process.stderr.write(`${dialect}: ${JSON.stringify(stages.at(-1))}\n`);
    }
    const [tenth, whole] = stages as [Record<string, number>, Record<string, number>];
    return {
      seed_customers_per_s: seed.customers_per_s,
      stages,
      import_to_seed_rate: Math.round((whole.customers_per_s! / seed.customers_per_s) * 100) / 100,
      peak_rss_ratio_whole_to_tenth: Math.round((whole.peak_rss_mib! / tenth.peak_rss_mib!) * 100) / 100,
      peak_anon_ratio_whole_to_tenth: Math.round((whole.peak_anon_mib! / tenth.peak_anon_mib!) * 100) / 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}

const hash = bcrypt.hashSync('moving in 2026', 10);
const report: Record<string, unknown> = { measured_at: new Date().toISOString(), machine: { cores: availableParallelism(), node: process.version }, customers: CUSTOMERS, hash_format: 'bcrypt' };
for (const dialect of ENGINES) report[dialect] = await measure(dialect, hash);
const text = JSON.stringify(report, null, 2);
writeFileSync(join(ROOT, 'bench/import-report.json'), `${text}\n`);
process.stdout.write(`${text}\n`);
