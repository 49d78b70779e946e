import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify } from '@node-rs/argon2';
import autocannon from 'autocannon';
import { hashPassword } from '../src/credentials/password-hasher.ts';
import { freePort } from '../test/support/free-port.ts';
import { postSignIns, prepareSignIns, statusCounts } from './sign-in-load.ts';
import { BENCH_ADMIN_KEY as ADMIN_KEY, BENCH_SECRET as SECRET, ROOT, startChild, stop } from './child-process.ts';

/**
 * `npm run bench`: two ratios measured in one run on 127.0.0.1, each with a bounded duration.
 * 1. client_credentials tokens/s: Portvakt on SQLite ÷ bare oidc-provider (in-memory adapter).
 * 2. password sign-ins/s through the hosted form ÷ raw argon2id verifications/s, same parameters.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PASSWORD = 'benchmark passphrase 2026';

async function clientCredentialsRate(base: string, clientId: string, secret: string) {
  const result = await autocannon({
    url: `${base}/token`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const ok = Number(result.statusCodeStats?.['200']?.count ?? 0);
  return { tokens_per_s: round(ok / SECONDS), non_200: result.requests.total - ok, p50_ms: result.latency.p50, p99_ms: result.latency.p99 };
}

/** Each request needs its own interaction: prepared beforehand, then posted under load. */
const BENCH_CUSTOMERS = 50;

async function signInRate(base: string, clientId: string) {
  const prepared = await prepareSignIns(base, clientId, Math.max(500, SECONDS * 300), (i) => `bench${i % BENCH_CUSTOMERS}@example.se`, PASSWORD);
  const load = postSignIns(base, prepared, { connections: CONNECTIONS, duration: SECONDS });
  const result = await load;
  const ok = Number(result.statusCodeStats?.['303']?.count ?? 0);
  if (load.used() > prepared.length) console.error(`bench: reused interactions (${load.used()} > ${prepared.length}); raise the prepared count`);
  const statuses = statusCounts(result);
  return { sign_ins_per_s: round(ok / SECONDS), other_status: result.requests.total - ok, statuses, p50_ms: result.latency.p50, p99_ms: result.latency.p99 };
}

/** argon2id verifications with Portvakt's parameters, as many in flight as sign-in connections. */
async function argon2Rate() {
  const hash = await hashPassword(PASSWORD);
  let done = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        await verify(hash, PASSWORD);
        done++;
      }
    }),
  );
  return { verifications_per_s: round(done / SECONDS) };
}

const round = (value: number) => Math.round(value * 10) / 10;
const ratio = (part: number, whole: number) => Math.round((part / whole) * 100) / 100;

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-bench-'));
  const [portvaktPort, barePort] = await Promise.all([freePort(), freePort()]);
  const portvaktUrl = `http://127.0.0.1:${portvaktPort}`;
  const bare = await startChild(['bench/bare-provider.ts', String(barePort)], { BENCH_CLIENT_SECRET: SECRET }, `http://127.0.0.1:${barePort}/.well-known/openid-configuration`);
  const portvakt = await startChild(
    ['src/cli.ts', 'start'],
    { PORT: String(portvaktPort), HOST: '127.0.0.1', PORTVAKT_DATA_DIR: dataDir, PORTVAKT_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', LOGIN_IP_FREE_ATTEMPTS: '100000' },
    `${portvaktUrl}/readyz`,
  );
  try {
    const api = (path: string, body: unknown) =>
      fetch(`${portvaktUrl}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        (response) => response.json() as Promise<Record<string, string>>,
      );
    const service = await api('/clients', { client_name: 'bench', grant_types: ['client_credentials'] });
    const web = await api('/clients', { client_name: 'bench web', redirect_uris: ['http://127.0.0.1:9/cb'], first_party: true });
    // Different customers signing in at once, as in real traffic: one account signing in ten times
    // in parallel is what the per-account throttle exists to stop (it answers 429 past 5).
    for (let i = 0; i < BENCH_CUSTOMERS; i++) await api('/customers', { email: `bench${i}@example.se`, password: PASSWORD });

    const bareCc = await clientCredentialsRate(`http://127.0.0.1:${barePort}`, 'bench', SECRET);
    const portvaktCc = await clientCredentialsRate(portvaktUrl, service.client_id!, service.client_secret!);
    const argon2 = await argon2Rate();
    const signIns = await signInRate(portvaktUrl, web.client_id!);

    const report = {
      measured_at: new Date().toISOString(),
      machine: { cores: availableParallelism(), node: process.version },
      seconds_per_measurement: SECONDS,
      connections: CONNECTIONS,
      client_credentials: {
        portvakt_sqlite: portvaktCc,
        bare_oidc_provider_memory: bareCc,
        ratio_portvakt_to_bare: ratio(portvaktCc.tokens_per_s, bareCc.tokens_per_s),
      },
      password_sign_in: {
        portvakt_sqlite: signIns,
        raw_argon2id: argon2,
        ratio_sign_ins_to_argon2id: ratio(signIns.sign_ins_per_s, argon2.verifications_per_s),
      },
    };
    const text = JSON.stringify(report, null, 2);
    writeFileSync(join(ROOT, 'bench/report.json'), `${text}\n`);
    process.stdout.write(`${text}\n`);
  } finally {
    await Promise.all([stop(portvakt), stop(bare)]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
