import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore, type Store } from '../src/store/database.ts';
import { createTestDatabase, DIALECTS, type TestDatabase, type TestDialect } from '../test/support/databases.ts';
import { mapSystems } from '../test/support/data-map.ts';
import { freePort } from '../test/support/free-port.ts';
import { BENCH_ADMIN_KEY as ADMIN_KEY, BENCH_SECRET as SECRET, memory, ROOT, runNode, startChild, stop } from './child-process.ts';
import { AUDIENCE_HEAP_CAP_MIB, LiveHeap } from './live-heap.ts';
import { exportAudience, percentile, ratio, round } from './load-loops.ts';
import { wholeSetting } from './settings.ts';

/**
 * `npm run bench:personalization` (also part of `npm run bench`), issue 22's speed, in one run:
 * 1. Ingest: BENCH_EVENTS purchase events for BENCH_EVENT_CUSTOMERS seeded customers who granted
 *    `profiling`, in batches of 500 through `POST /api/v1/events` from BENCH_INGEST_CALLERS
 *    concurrent callers, with the fridge segment defined beforehand (its memberships are kept up to
 *    date while the events arrive), on SQLite and on PostgreSQL, each on a freshly started server.
 *    Each engine stops at BENCH_INGEST_SECONDS; the rate is over what was sent and answered.
 * 2. Audience: BENCH_SEGMENT_AUDIENCE seeded customers who granted `profiling`, every one a member
 *    of a segment (rows put in straight through Kysely: a million memberships through the API would
 *    measure the seeding). Alternating rounds export the whole consent audience and the whole
 *    segment audience, same page size, same server (old space capped): rows/s each, their ratio,
 *    and the server's live heap during each segment export.
 */
const EVENTS = wholeSetting('BENCH_EVENTS', 1_000_000);
const EVENT_CUSTOMERS = wholeSetting('BENCH_EVENT_CUSTOMERS', 100_000);
const INGEST_SECONDS = wholeSetting('BENCH_INGEST_SECONDS', 240);
const CALLERS = wholeSetting('BENCH_INGEST_CALLERS', 4);
const BATCH = 500;
const AUDIENCE = wholeSetting('BENCH_SEGMENT_AUDIENCE', 1_000_000);
const ROUNDS = wholeSetting('BENCH_EXPORT_ROUNDS', 3);
const PAGE = 1000;
/** The engines a setting names (`sqlite,postgres`, the default both). */
function dialectsOf(setting: string): TestDialect[] {
  return (process.env[setting] ?? DIALECTS.join(','))
    .split(',')
    .map((part) => part.trim())
    .filter((part): part is TestDialect => {
      if ((DIALECTS as readonly string[]).includes(part)) return true;
      throw new Error(`${setting} lists sqlite and/or postgres, not ${JSON.stringify(part)}`);
    });
}
const INGEST_DIALECTS = dialectsOf('BENCH_INGEST_DIALECTS');
const AUDIENCE_DIALECTS = dialectsOf('BENCH_PERSONALIZATION_DIALECTS');
/** The share of customers given a web-shop reference, every other event of whom names them by it. */
const REFERENCE_SHARE = 0.2;
const PURPOSE = 'profiling';
const SYSTEM = 'webshop';
const FRIDGES = 'home/white-goods/fridges';
const SEGMENT = { key: 'recent_fridge', rule: { event: { type: 'purchase', category: FRIDGES, within_days: 180 } } };
const DAY_MS = 24 * 3600_000;

const auth = { authorization: `Bearer ${ADMIN_KEY}` };
const purposeText = { title: 'Personalization', description: 'Offers chosen by what you bought', legal_text: 'We use what you buy to choose offers until you withdraw.' };
const segmentText = { title: 'Recently bought a fridge', reason: 'You bought a fridge on {date}' };

interface Server {
  dialect: TestDialect;
  database: TestDatabase;
  dataDir: string;
  base: string;
  env: Record<string, string>;
}

async function prepareServer(dialect: TestDialect): Promise<Server> {
  const database = await createTestDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), HOST: '127.0.0.1', ISSUER: base, DATABASE_URL: database.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_ADMIN_KEY: ADMIN_KEY, PORTVAKT_SECRET: SECRET, LOG_LEVEL: 'warn' };
  return { dialect, database, dataDir, base, env };
}

/** A connection of the bench's own to the server's database, for `work` (seeding and checking straight through Kysely). */
async function withStore<T>(server: Server, work: (db: Store['db']) => Promise<T>): Promise<T> {
  const store = openStore(server.database.config);
  try {
    return await work(store.db);
  } finally {
    await store.close();
  }
}

/**
 * A fresh database set up and seeded with `customers` (setUp), for `work`, which starts the
 * measured server by `serve`: the server is stopped and the database dropped after, whatever happens.
 */
async function onFreshDatabase<T>(dialect: TestDialect, customers: number, work: (server: Server, seed: { customers_per_s: number }, serve: (args: string[], onLine?: (line: string) => void) => Promise<ChildProcess>) => Promise<T>): Promise<T> {
  const server = await prepareServer(dialect);
  let child: ChildProcess | undefined;
  try {
    const seed = await setUp(server, customers);
    return await work(server, seed, async (args, onLine) => (child = await startChild(args, server.env, `${server.base}/readyz`, onLine)));
  } finally {
    if (child) await stop(child);
    rmSync(server.dataDir, { recursive: true, force: true });
    await server.database.drop();
  }
}

/** The management API as the admin, answers parsed (the shape test/support's helpers take). */
const api =
  (base: string) =>
  async <T = Record<string, unknown> | undefined>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base}/api/v1${path}`, { method, headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

/**
 * On a server of its own: the gating purpose, the web shop on the data map, and the fridge
 * segment, built (over no customers yet) before the server stops. Then `customers` seeded by
 * `portvakt seed`, all of whom granted the purpose.
 */
async function setUp(server: Server, customers: number): Promise<{ customers_per_s: number }> {
  const child = await startChild(['src/cli.ts', 'start'], server.env, `${server.base}/readyz`);
  try {
    const call = api(server.base);
    const purpose = await call('POST', '/consent-purposes', { key: PURPOSE, texts: { sv: purposeText, en: purposeText } });
    if (purpose.status !== 201) throw new Error(`creating the purpose answered ${purpose.status}: ${JSON.stringify(purpose.body)}`);
    await mapSystems({ api: call }, SYSTEM);
    const segment = await call('POST', '/segments', { ...SEGMENT, texts: { sv: segmentText, en: segmentText } });
    if (segment.status !== 201) throw new Error(`creating the segment answered ${segment.status}: ${JSON.stringify(segment.body)}`);
    for (let tries = 0; (await call('GET', `/segments/${SEGMENT.key}`)).body?.built !== true; tries++) {
      if (tries > 100) throw new Error('the segment was not built within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await stop(child);
  }
  return JSON.parse(await runNode(['src/cli.ts', 'seed', '--customers', String(customers), '--consent', PURPOSE], server.env)) as { customers_per_s: number };
}

/** A small, fast, seeded generator (mulberry32): the same run sends the same events. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['home/kitchen/pans', 'home/kitchen/knives', 'home/white-goods/washers', 'home/white-goods/freezers', 'garden/tools', 'garden/furniture', 'electronics/tv', 'electronics/audio', 'toys/lego', 'clothes/kids'];

/** Purchases of one to three items (about one in thirty a fridge) over the last 300 days, by id or, for customers with a reference, every other one by it. */
function purchases(ids: readonly string[], referenced: number, startedAt: number) {
  const next = random(22);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  return (index: number) => {
    const customer = Math.floor(next() * ids.length);
    const items = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
      const category = next() < 1 / 30 ? FRIDGES : pick(CATEGORIES);
      return { sku: `${category.split('/').at(-1)}-${Math.floor(next() * 500)}`, category, quantity: 1 + Math.floor(next() * 2), amount: Math.round(next() * 20_000) / 2, currency: 'SEK' };
    });
    return {
      id: `order-${index}`,
      customer: customer < referenced && index % 2 === 0 ? { ref: `${SYSTEM}:W-${customer}` } : { id: ids[customer]! },
      type: 'purchase',
      occurred_at: new Date(startedAt - Math.floor(next() * 300 * DAY_MS) - 60_000).toISOString(),
      channel: next() < 0.7 ? 'web' : 'store',
      items,
    };
  };
}

/** The seeded customers' ids, and web-shop references (`W-{n}`) for the first `share` of them. */
function customerIds(server: Server, share: number): Promise<{ ids: string[]; referenced: number }> {
  return withStore(server, async (db) => {
    const ids = (await db.selectFrom('customers').select('id').orderBy('id').execute()).map((row) => row.id);
    const referenced = Math.floor(ids.length * share);
    const now = Date.now();
    for (let offset = 0; offset < referenced; offset += 2000) {
      const slice = ids.slice(offset, Math.min(referenced, offset + 2000));
      await db.insertInto('customer_references').values(slice.map((id, i) => ({ customer_id: id, system: SYSTEM, reference: `W-${offset + i}`, created_at: now }))).execute();
    }
    return { ids, referenced };
  });
}

/** Customers the fridge rule holds by the signals kept (read straight from the table): what the segment should have. */
function fridgeBuyers(server: Server): Promise<number> {
  return withStore(server, async (db) => {
    const row = await db
      .selectFrom('customer_signals')
      .select(sql<number>`count(distinct customer_id)`.as('n'))
      .where('type', '=', 'purchase')
      .where('occurred_at', '>', Date.now() - SEGMENT.rule.event.within_days * DAY_MS)
      .where('items', 'like', `%"category":"${FRIDGES}"%`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  });
}

function ingest(dialect: TestDialect) {
  return onFreshDatabase(dialect, EVENT_CUSTOMERS, async (server, seed, serve) => {
    const { ids, referenced } = await customerIds(server, REFERENCE_SHARE);
    // The server's errors (what a 500 was) go to the bench's standard error, their first words.
    await serve(['src/cli.ts', 'start'], (line) => {
      if (/"level":(50|60)/.test(line)) process.stderr.write(`ingest ${dialect} server: ${line.slice(0, 300)}\n`);
    });
    const event = purchases(ids, referenced, Date.now());
    const totals = { sent: 0, accepted: 0, duplicate: 0, no_consent: 0, past_retention: 0 };
    const latencies: number[] = [];
    let generated = 0;
    const carried: Array<ReturnType<typeof event>> = [];
    /** The next `size` events: those a refused probe left over first, then new ones. */
    const take = (size: number) => {
      const events = carried.splice(0, size);
      while (events.length < size && generated < EVENTS) events.push(event(generated++));
      return events;
    };
    const post = async (events: Array<ReturnType<typeof event>>) => {
      const body = JSON.stringify({ system: SYSTEM, events });
      const sent = performance.now();
      const response = await fetch(`${server.base}/api/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
      const answer = (await response.json()) as { accepted: number; duplicate: number; dropped: { no_consent: number; past_retention: number } };
      return { status: response.status, answer, bytes: Buffer.byteLength(body), ms: performance.now() - sent };
    };
    const count = (events: number, answer: { accepted: number; duplicate: number; dropped: { no_consent: number; past_retention: number } }) => {
      totals.sent += events;
      totals.accepted += answer.accepted;
      totals.duplicate += answer.duplicate;
      totals.no_consent += answer.dropped.no_consent;
      totals.past_retention += answer.dropped.past_retention;
    };
    // One batch of the asked size first, untimed: should the server refuse it as too large (413),
    // a fifth fewer events at a time until it takes one; the refusals are in the report.
    let size = BATCH;
    const refused: Array<{ events: number; bytes: number; status: number; error: unknown }> = [];
    const first = take(size);
    for (;;) {
      const probe = await post(first.slice(0, size));
      if (probe.status === 413 && size > 1) {
        refused.push({ events: size, bytes: probe.bytes, status: probe.status, error: (probe.answer as unknown as { error?: unknown }).error });
        size = Math.floor(size * 0.8);
        continue;
      }
      if (probe.status !== 200) throw new Error(`${dialect}: a batch answered ${probe.status}: ${JSON.stringify(probe.answer)}`);
      count(size, probe.answer);
      carried.push(...first.slice(size));
      break;
    }
    if (refused.length > 0) process.stderr.write(`ingest ${dialect}: batches of ${BATCH} refused (${JSON.stringify(refused)}); ${size} events a batch\n`);
    const untimed = totals.sent;
    const began = performance.now();
    const until = began + INGEST_SECONDS * 1000;
    const bodyBytes: number[] = [];
    const retried: Record<number, number> = {};
    let ended = began;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        for (let events = take(size); events.length > 0; events = performance.now() < until ? take(size) : []) {
          let posted = await post(events);
          // A 5xx is sent again, as an integration would: the events are idempotent by id. Each one is counted in the report.
          for (let attempt = 1; posted.status >= 500 && attempt < 5; attempt++) {
            retried[posted.status] = (retried[posted.status] ?? 0) + 1;
            posted = await post(events);
          }
          if (posted.status !== 200) throw new Error(`${dialect}: a batch answered ${posted.status}: ${JSON.stringify(posted.answer)}`);
          ended = performance.now();
          latencies.push(posted.ms);
          bodyBytes.push(posted.bytes);
          count(events.length, posted.answer);
        }
      }),
    );
    const seconds = (ended - began) / 1000;
    const segment = await api(server.base)('GET', `/segments/${SEGMENT.key}`);
    const expected = await fridgeBuyers(server);
    const result = {
      customers: ids.length,
      customers_with_reference: referenced,
      events_asked: EVENTS,
      ...totals,
      capped_at_seconds: totals.sent < EVENTS ? INGEST_SECONDS : null,
      batch_asked: BATCH,
      batches_refused: refused,
      batch_used: size,
      batch_body_kib_p50: round(percentile(bodyBytes, 50) / 1024),
      untimed_first_batch: untimed,
      batches_sent_again_after: retried,
      seconds: round(seconds),
      events_per_s: Math.round((totals.sent - untimed) / seconds),
      batch_p50_ms: round(percentile(latencies, 50)),
      batch_p99_ms: round(percentile(latencies, 99)),
      segment_members_after: segment.body?.members,
      segment_members_by_the_kept_signals: expected,
      seed_customers_per_s: seed.customers_per_s,
    };
    process.stderr.write(`ingest ${dialect}: ${JSON.stringify(result)}\n`);
    return result;
  });
}

/** Every seeded customer made a member of the segment, straight into the table (the segment itself was made through the API). */
function everyoneInSegment(server: Server): Promise<number> {
  return withStore(server, async (db) => {
    const now = Date.now();
    const began = performance.now();
    await db
      .insertInto('segment_members')
      .columns(['segment_key', 'customer_id', 'entered_at', 'reason'])
      .expression((eb) => eb.selectFrom('customers').select([sql.lit(SEGMENT.key).as('segment_key'), 'id', sql.lit(now).as('entered_at'), sql.lit(null).as('reason')]))
      .execute();
    await db.updateTable('segments').set({ built: 1, build_cursor: null }).where('key', '=', SEGMENT.key).execute();
    // As `portvakt seed` leaves its own tables: fresh statistics and, on PostgreSQL, the visibility map and a checkpoint.
    await (server.dialect === 'postgres' ? sql`vacuum (analyze) segment_members` : sql`analyze`).execute(db);
    if (server.dialect === 'postgres') await sql`checkpoint`.execute(db).catch(() => undefined);
    return round((performance.now() - began) / 1000);
  });
}

function audience(dialect: TestDialect) {
  return onFreshDatabase(dialect, AUDIENCE, async (server, seed, serve) => {
    const membersSeconds = await everyoneInSegment(server);
    const live = new LiveHeap();
    const child = await serve([`--max-old-space-size=${AUDIENCE_HEAP_CAP_MIB}`, '--trace-gc', 'src/cli.ts', 'start'], live.observe);
    const rounds: Array<Record<string, number | number[]>> = [];
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      const consent = await exportAudience(server.base, `/api/v1/consent-purposes/${PURPOSE}/customers?state=granted`, PAGE, auth);
      live.take();
      const segment = await exportAudience(server.base, `/api/v1/segments/${SEGMENT.key}/customers`, PAGE, auth);
      const heap = live.takeAll();
      for (const [name, exported] of [['consent', consent], ['segment', segment]] as const) {
        if (exported.rows !== AUDIENCE) throw new Error(`${dialect}: the ${name} audience exported ${exported.rows} of ${AUDIENCE}`);
      }
      rounds.push({
        consent_rows_per_s: Math.round(consent.rows / consent.seconds),
        segment_rows_per_s: Math.round(segment.rows / segment.seconds),
        ratio_segment_to_consent: ratio(segment.rows / segment.seconds, consent.rows / consent.seconds),
        segment_live_heap_mib: heap,
      });
      process.stderr.write(`audience ${dialect} round ${round_ + 1}: ${JSON.stringify(rounds.at(-1))}\n`);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const consentRate = median(rounds.map((each) => each.consent_rows_per_s as number));
    const segmentRate = median(rounds.map((each) => each.segment_rows_per_s as number));
    const maxima = rounds.map((each) => Math.max(0, ...(each.segment_live_heap_mib as number[])));
    return {
      customers: AUDIENCE,
      page_size: PAGE,
      rounds,
      median_consent_rows_per_s: consentRate,
      median_segment_rows_per_s: segmentRate,
      ratio_segment_to_consent: ratio(segmentRate, consentRate),
      segment_max_live_heap_mib_per_round: maxima,
      segment_live_heap_ratio_last_to_first_round: ratio(maxima.at(-1)!, maxima[0]!),
      server_peak_rss_mib: memory(child).peak_mib,
      seed_customers_per_s: seed.customers_per_s,
      seed_memberships_seconds: membersSeconds,
    };
  });
}

const report: Record<string, unknown> = {
  measured_at: new Date().toISOString(),
  machine: { cores: availableParallelism(), node: process.version },
  ingest: { batch: BATCH, events: EVENTS, customers: EVENT_CUSTOMERS, concurrent_callers: CALLERS, cap_seconds: INGEST_SECONDS, goal_postgres_events_per_s: 10_000 } as Record<string, unknown>,
  audience: { purpose: PURPOSE, segment: SEGMENT.key, server_heap_cap_mib: AUDIENCE_HEAP_CAP_MIB, goal_ratio_segment_to_consent: 0.8 } as Record<string, unknown>,
};
const ingestReport = report.ingest as Record<string, unknown>;
const audienceReport = report.audience as Record<string, unknown>;
for (const dialect of INGEST_DIALECTS) ingestReport[dialect] = await ingest(dialect);
for (const dialect of AUDIENCE_DIALECTS) audienceReport[dialect] = await audience(dialect);
writeFileSync(join(ROOT, 'bench/personalization-report.json'), `${JSON.stringify(report, null, 2)}\n`);
const lines = ['bench/personalization-report.json:'];
for (const dialect of INGEST_DIALECTS) {
  const side = ingestReport[dialect] as Awaited<ReturnType<typeof ingest>>;
  lines.push(`  ingest ${dialect}: ${side.events_per_s} events/s (${side.sent} sent in batches of ${side.batch_used} by ${CALLERS} callers in ${side.seconds} s${side.capped_at_seconds ? ', stopped at the cap' : ''}${side.batches_refused.length > 0 ? `; batches of ${BATCH} refused: ${side.batches_refused[0]!.status} ${String(side.batches_refused[0]!.error)}` : ''}; sent again after ${JSON.stringify(side.batches_sent_again_after)}; ${side.accepted} kept; ${side.segment_members_after} in ${SEGMENT.key}, ${side.segment_members_by_the_kept_signals} by the signals kept)`);
}
for (const dialect of AUDIENCE_DIALECTS) {
  const side = audienceReport[dialect] as Awaited<ReturnType<typeof audience>>;
  lines.push(`  audience ${dialect} at ${side.customers}: consent ${side.median_consent_rows_per_s} rows/s, segment ${side.median_segment_rows_per_s} rows/s, ratio ${side.ratio_segment_to_consent} (goal 0.8); segment export live heap per round ${side.segment_max_live_heap_mib_per_round.join(', ')} MiB`);
}
process.stdout.write(`${lines.join('\n')}\n`);
