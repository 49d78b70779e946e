import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { createTestDatabase, type TestDatabase, type TestDialect } from '../test/support/databases.ts';
import { freePort } from '../test/support/free-port.ts';
import { BENCH_ADMIN_KEY as ADMIN_KEY, BENCH_SECRET as SECRET, ROOT, startChild, stop } from './child-process.ts';
import { byStatus, percentile, ratio, round, turnTakingLoop, type LoadRequest, type Timed } from './load-loops.ts';
import { namePrefixes, seedSearchCustomers, seededCustomer, settle } from './search-seed.ts';
import { wholeSetting } from './settings.ts';
import { currentTotp } from '../src/credentials/totp.ts';

/**
 * `node bench/customer-search.ts`: how fast customer service finds a customer, by e-mail address,
 * phone number, CRM reference and the start of a name, with 1,000 customers and with 1,000,000
 * (BENCH_SEARCH_LARGE), on SQLite (BENCH_SEARCH_DIALECTS=sqlite,postgres for both engines).
 *
 * The two databases are seeded straight through Kysely (bench/search-seed.ts), each served by its
 * own Portvakt, and measured together: one caller (the latency an agent sees, not a queue) takes
 * turns between them request by request (load-loops.ts, turnTakingLoop), so a drift or pause of
 * the machine falls on both sizes alike, for BENCH_SEARCH_ROUNDS rounds of BENCH_SEARCH_ROUND_SECONDS
 * per kind of search. The report (JSON, also bench/customer-search-report.json) has each kind's
 * p95 at both sizes and their ratio, large / small (the target is at most 1.2), and the same for the
 * console's customer view (`customer_view`: the page an agent opens, as an agent). Seeding stops
 * at BENCH_SEARCH_SEED_SECONDS and the large side is measured at the size reached, said in the report.
 */
const SMALL = 1000;
const LARGE = wholeSetting('BENCH_SEARCH_LARGE', 1_000_000);
const SEED_SECONDS = wholeSetting('BENCH_SEARCH_SEED_SECONDS', 420);
const ROUNDS = wholeSetting('BENCH_SEARCH_ROUNDS', 3);
const ROUND_SECONDS = wholeSetting('BENCH_SEARCH_ROUND_SECONDS', 10);
const DIALECTS = (process.env.BENCH_SEARCH_DIALECTS ?? 'sqlite').split(',') as TestDialect[];

/** The searches measured, each for a random seeded customer `n`. */
const KINDS: Record<string, (n: number) => string> = {
  email: (n) => `email=${encodeURIComponent(seededCustomer(n).email)}`,
  phone: (n) => `phone=${encodeURIComponent(seededCustomer(n).phone)}`,
  ref: (n) => `ref=${encodeURIComponent(`crm:${seededCustomer(n).reference}`)}`,
  name_prefix: (n) => `name=${encodeURIComponent(namePrefixes(n).family)}`,
  // One customer a page: at a thousand customers a pair of prefixes is shared by one or two, so a
  // full page at a million would compare answer sizes, not searches.
  name_two_words: (n) => `name=${encodeURIComponent(namePrefixes(n).both)}&limit=1`,
};
const auth = { authorization: `Bearer ${ADMIN_KEY}` };
/** Pages measured besides the API: the console's customer view, for a sample of seeded customers, as a signed-in agent sees it. */
const PAGES = ['customer_view'] as const;
const SAMPLE = 500;

interface Side {
  label: string;
  customers: number;
  database: TestDatabase;
  dataDir: string;
  base?: string;
  child?: ChildProcess;
  rounds: Record<string, Timed[][]>;
  /** Ids of a random sample of the seeded customers (the customer view is opened by id). */
  sample: string[];
  /** The console session cookie of an agent, for the customer view. */
  cookie?: string;
}

async function prepare(dialect: TestDialect, label: string, customers: number, deadline: number): Promise<Side> {
  const database = await createTestDatabase(dialect);
  const store = openStore(database.config);
  try {
    await migrateToLatest(store.db);
    const began = performance.now();
    const seeded = await seedSearchCustomers(store.db, dialect, 0, customers, deadline, (line) => process.stderr.write(`${dialect} ${label}: ${line}\n`));
    process.stderr.write(`${dialect} ${label}: ${seeded} customers in ${round((performance.now() - began) / 1000)} s\n`);
    await settle(store.db, dialect);
    const emails = Array.from({ length: SAMPLE }, () => seededCustomer(Math.floor(Math.random() * seeded)).email);
    const sample = (await store.db.selectFrom('customer_emails').select('customer_id').where('email', 'in', emails).execute()).map((row) => row.customer_id);
    return { label, customers: seeded, database, dataDir: mkdtempSync(join(tmpdir(), 'portvakt-search-')), rounds: Object.fromEntries([...Object.keys(KINDS), ...PAGES].map((kind) => [kind, []])), sample };
  } finally {
    await store.close();
  }
}

async function serve(side: Side): Promise<void> {
  const port = await freePort();
  side.base = `http://127.0.0.1:${port}`;
  const env = { DATABASE_URL: side.database.url, PORTVAKT_DATA_DIR: side.dataDir, PORTVAKT_SECRET: SECRET, PORTVAKT_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ISSUER: side.base };
  side.child = await startChild(['src/cli.ts', 'start'], env, `${side.base}/readyz`);
}

const request = (side: Side, kind: string) => (): LoadRequest =>
  kind === 'customer_view'
    ? { path: `/console/customers/${side.sample[Math.floor(Math.random() * side.sample.length)]}`, headers: { cookie: side.cookie! } }
    : { path: `/api/v1/customers?${KINDS[kind]!(Math.floor(Math.random() * side.customers))}`, headers: auth };

/** An agent invited through the API who takes the invitation with a password and an authenticator code: their console session cookie. */
async function agentSession(side: Side): Promise<string> {
  const invited = (await (await fetch(`${side.base}/api/v1/operators`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench.agent@bench.example', name: 'Bench Agent', roles: ['agent'] }) })).json()) as { invitation_url: string };
  const offer = await fetch(invited.invitation_url);
  const html = await offer.text();
  const csrfCookie = offer.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!).join('; ');
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1]!;
  const secret = /<code>([A-Z2-7]+)<\/code>/.exec(html)![1]!;
  const body = new URLSearchParams({ csrf: field('csrf'), ticket: field('ticket'), password: 'bench agent passphrase 2026', code: currentTotp(secret) });
  const taken = await fetch(`${invited.invitation_url}/totp`, { method: 'POST', headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
  const session = taken.headers.getSetCookie().find((cookie) => cookie.startsWith('pv_console='));
  if (taken.status !== 303 || !session) throw new Error(`the bench agent could not take the invitation: ${taken.status}`);
  return session.split(';')[0]!;
}

/** Customers a name search answers with, over a sample: both sizes should mostly give full pages. */
async function pageFill(side: Side, kind: string): Promise<number> {
  let found = 0;
  for (let i = 0; i < 50; i++) {
    const response = await fetch(`${side.base}${request(side, kind)().path}`, { headers: auth });
    found += ((await response.json()) as { customers: unknown[] }).customers.length;
  }
  return round(found / 50, 1);
}

function summary(side: Side, kind: string) {
  const rounds = side.rounds[kind]!;
  const all = rounds.flat();
  const ok = all.filter((result) => result.status === 200).map((result) => result.ms);
  return {
    requests: all.length,
    statuses: byStatus(all),
    p50_ms: percentile(ok, 50),
    p95_ms: percentile(ok, 95),
    p99_ms: percentile(ok, 99),
    rounds_p95_ms: rounds.map((each) => percentile(each.filter((result) => result.status === 200).map((result) => result.ms), 95)),
  };
}

async function measure(dialect: TestDialect) {
  const sides: Side[] = [];
  try {
    sides.push(await prepare(dialect, 'small', SMALL, Number.POSITIVE_INFINITY));
    const seedingBegan = performance.now();
    sides.push(await prepare(dialect, 'large', LARGE, seedingBegan + SEED_SECONDS * 1000));
    const seedSeconds = round((performance.now() - seedingBegan) / 1000);
    for (const side of sides) await serve(side);
    for (const side of sides) side.cookie = await agentSession(side);
    const measured = [...Object.keys(KINDS), ...PAGES];
    // Warm-up: JIT, caches and connections, not measured.
    for (const kind of measured) await turnTakingLoop(sides.map((side) => ({ base: side.base!, next: request(side, kind) })), 2);
    for (let i = 0; i < ROUNDS; i++) {
      for (const kind of measured) {
        const order = i % 2 === 0 ? sides : [...sides].reverse();
        const results = await turnTakingLoop(order.map((side) => ({ base: side.base!, next: request(side, kind) })), ROUND_SECONDS);
        order.forEach((side, at) => side.rounds[kind]!.push(results[at]!));
      }
    }
    const [small, large] = sides as [Side, Side];
    const kinds = Object.fromEntries(
      await Promise.all(
        measured.map(async (kind) => {
          const [a, b] = [summary(small, kind), summary(large, kind)];
          const fill = kind.startsWith('name') ? { customers_per_page: { small: await pageFill(small, kind), large: await pageFill(large, kind) } } : {};
          return [kind, { small: a, large: b, ratio_p95: ratio(b.p95_ms, a.p95_ms), ratio_p50: ratio(b.p50_ms, a.p50_ms), ...fill }] as const;
        }),
      ),
    );
    return { customers: { small: small.customers, large: large.customers }, large_seed_seconds: seedSeconds, kinds };
  } finally {
    await Promise.allSettled(sides.map((side) => (side.child ? stop(side.child) : Promise.resolve())));
    for (const side of sides) {
      await side.database.drop();
      rmSync(side.dataDir, { recursive: true, force: true });
    }
  }
}

const began = performance.now();
const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
for (const dialect of DIALECTS) results[dialect] = await measure(dialect);
const report = {
  measured_at: new Date().toISOString(),
  machine: { cores: availableParallelism(), node: process.version },
  callers: 1,
  rounds: ROUNDS,
  round_seconds: ROUND_SECONDS,
  target_ratio_p95: 1.2,
  ...results,
  seconds: round((performance.now() - began) / 1000),
};
const text = JSON.stringify(report, null, 2);
writeFileSync(join(ROOT, 'bench/customer-search-report.json'), `${text}\n`);
process.stdout.write(`${text}\n`);
