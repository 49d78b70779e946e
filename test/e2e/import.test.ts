import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { mapSystems } from '../support/data-map.ts';
import { CAPTURED, mixedCustomers, type Fixture } from '../support/hash-samples.ts';
import { untilRequest } from '../support/privacy-request-wait.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT, startWithShop } from '../support/shop.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const texts = { title: 'Newsletter', description: 'Offers by e-mail.', legal_text: 'Until you withdraw.' };

interface ReportLine {
  line: number;
  outcome: 'accepted' | 'updated' | 'skipped' | 'refused';
  source_id?: string;
  field?: string;
  reason?: string;
  hash_format?: string;
}
interface Report {
  lines: ReportLine[];
  summary: { lines: number; accepted: number; updated: number; skipped: number; refused: number; hash_formats: Record<string, number>; resumed_after: number; reasons: Record<string, number> };
}

describe.each(DIALECTS)('portvakt import on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  let dir: string;
  let fixtures: Fixture[];
  const importFile = (file: string, ...args: string[]) =>
    spawnSync(join(ROOT, 'bin/portvakt'), ['import', file, ...args], { cwd: ROOT, env: cliEnv(server), encoding: 'utf8', timeout: 300_000 });
  const reportOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;
  const db = () => server.portvakt.store.db;
  const secretOf = async (email: string) =>
    (await sql<{ secret: string }>`select c.secret from credentials c join customer_emails e on e.customer_id = c.customer_id where e.email = ${email} and c.type = 'password'`.execute(db())).rows[0]?.secret;
  const idOf = async (email: string) => (await sql<{ customer_id: string }>`select customer_id from customer_emails where email = ${email}`.execute(db())).rows[0]?.customer_id;

  async function signIn(email: string, password: string): Promise<{ status: number; body: string }> {
    const agent = new CookieAgent();
    const page = await agent.follow(await rp.authorizationUrl(), server.url);
    const response = await agent.postForm(`${page.url}/password`, { csrf: csrfOf(await page.response.text()), email, password });
    return { status: response.status, body: await response.text() };
  }

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect, { LOGIN_FREE_ATTEMPTS: '5', LOGIN_IP_FREE_ATTEMPTS: '100000', RATE_LIMIT_IP_PER_MINUTE: '0' }));
    dir = mkdtempSync(join(tmpdir(), 'portvakt-import-'));
    expect((await server.api('POST', '/consent-purposes', { key: 'newsletter', texts: { sv: texts, en: texts } })).status).toBe(201);
    await mapSystems(server, 'woocommerce');
    // Someone erased at their request, whom the old platform's export still lists.
    const erased = (await server.api('POST', '/customers', { email: 'erased@example.se' })).body.id;
    const request = (await server.api('POST', '/privacy-requests', { customer_id: erased, kind: 'erasure', verification: 'ID checked in store' })).body;
    await untilRequest<{ tasks: Array<{ system: string; state: string }> }>(server, request.id, (current) => current.tasks.some((task) => task.system === 'portvakt' && task.state === 'done'));
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('imports a mixed file, refusing and skipping what it must; each customer signs in with their old password, re-hashed to argon2id', async () => {
    const mixed = await mixedCustomers(220);
    fixtures = mixed.fixtures;
    const extra = [
      JSON.stringify({ source_id: 'wc-erased', email: 'erased@example.se', password_hash: mixed.lines[0] && JSON.parse(mixed.lines[0]).password_hash }),
      JSON.stringify({ source_id: 'wc-dup', email: 'moved3@example.se' }),
      JSON.stringify({ source_id: 'wc-bad-email', email: 'not an address' }),
      JSON.stringify({ source_id: 'wc-unknown-hash', email: 'unknown-hash@example.se', password_hash: '5f4dcc3b5aa765d61d8327deb882cf99' }),
      '{"source_id": "wc-broken", "email": ',
      JSON.stringify({ source_id: 'wc-huge', email: 'huge@example.se', given_name: 'x'.repeat(1_100_000) }),
      JSON.stringify({ source_id: 'wc-purpose', email: 'purpose@example.se', consents: [{ purpose: 'no_such_purpose', decision: 'granted', version: 1, captured_at: CAPTURED }] }),
      JSON.stringify({ source_id: 'wc-throttle', email: 'throttle@example.se', password_hash: JSON.parse(mixed.lines[1]!).password_hash }),
    ];
    const file = join(dir, 'mixed.ndjson');
    writeFileSync(file, `${[...mixed.lines, ...extra].join('\n')}\n`);
    const run = importFile(file, '--platform', 'woocommerce', '--allow-weak-hashes', '--report', join(dir, 'mixed.json'));
    expect(run.status, run.stderr).toBe(0);
    const report = reportOf(join(dir, 'mixed.json'));
    const first = mixed.lines.length + 1;
    expect(report.lines.map((line) => line.line)).toEqual(Array.from({ length: first + extra.length - 1 }, (_, i) => i + 1));
    expect(report.lines.slice(first - 1).map(({ outcome, field, reason }) => [outcome, field ?? null, reason])).toEqual([
      ['skipped', null, 'erased_customer'],
      ['skipped', 'email', 'duplicate_email: first on line 4'],
      ['refused', 'email', 'invalid: must be an e-mail address'],
      ['refused', 'password_hash', 'unknown_hash_format'],
      ['refused', null, 'bad_json'],
      ['refused', null, 'line_too_long'],
      ['refused', 'consents.0.purpose', 'unknown_purpose'],
      ['accepted', null, undefined],
    ]);
    expect(report.summary).toMatchObject({ lines: first + extra.length - 1, accepted: first, skipped: 2, refused: 5 });
    expect(Object.keys(report.summary.hash_formats).sort()).toEqual(['argon2', 'aspnet-identity-v3', 'bcrypt', 'django-pbkdf2', 'firebase-scrypt', 'magento-argon2id', 'magento-sha256', 'pbkdf2', 'phpass', 'salted-md5', 'salted-sha1', 'scrypt', 'wordpress-bcrypt']);
    // No personal data in the report: line numbers, source ids, fields and reasons only.
    expect(readFileSync(join(dir, 'mixed.json'), 'utf8')).not.toMatch(/@example\.se/);
    expect(await idOf('erased@example.se')).toBeUndefined();

    // A wrong password fails against an imported hash, and counts: past the free attempts even the right one waits.
    for (let i = 0; i < 5; i++) expect((await signIn('throttle@example.se', `wrong ${i}`)).status).toBe(401);
    expect((await signIn('throttle@example.se', fixtures[1]!.password)).status).toBe(429);
    expect(await secretOf('throttle@example.se')).toMatch(/^import:bcrypt:/);

    for (const fixture of fixtures) {
      const before = await secretOf(fixture.email);
      expect(before, fixture.email).toMatch(new RegExp(`^import:${fixture.format}:`));
      const landed = await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, { email: fixture.email, password: fixture.password });
      expect(landed, `${fixture.format} ${fixture.email}`).toMatch(new RegExp(`^${SHOP_REDIRECT}\\?code=`));
      expect(await secretOf(fixture.email), fixture.format).toMatch(/^\$argon2id\$/);
    }
    // Re-hashed, the old password still works, and a wrong one still fails.
    expect((await signIn(fixtures[5]!.email, fixtures[5]!.password)).status).toBe(303);
    expect((await signIn(fixtures[5]!.email, 'not it')).status).toBe(401);
    const audit = (await sql<{ action: string }>`select action from audit_log where action in ('customers.imported', 'credential.password_rehashed')`.execute(db())).rows;
    expect(audit.filter((entry) => entry.action === 'customers.imported')).toHaveLength(1);
    expect(audit.filter((entry) => entry.action === 'credential.password_rehashed')).toHaveLength(fixtures.length);
  }, 600_000);

  it('records imported consent in the ledger with its source and original time, and a re-run changes nothing', async () => {
    const id = await idOf('moved0@example.se');
    const consents = (await server.api('GET', `/customers/${id}/consents`)).body;
    expect(consents.history).toEqual([expect.objectContaining({ purpose: 'newsletter', decision: 'granted', counted: true, source: { platform: 'woocommerce', record_id: 'wc-0:newsletter:1614592800000', captured_at: CAPTURED / 1000, proof: 'signup-form-2021' } })]);
    expect((await server.api('GET', '/consent-purposes/newsletter/customers')).body.customers).toEqual([id]);
    // The source id is the customer's reference in the platform's system on the data map.
    expect((await server.api('GET', `/customers/${id}/references`)).body).toMatchObject({ references: [expect.objectContaining({ system: 'woocommerce', reference: 'wc-0' })] });

    const counts = async () => (await sql<{ customers: number; records: number; secrets: string }>`select (select count(*) from customers) as customers, (select count(*) from consent_records) as records, (select count(*) from credentials) as secrets`.execute(db())).rows[0];
    const before = await counts();
    const again = importFile(join(dir, 'mixed.ndjson'), '--platform', 'woocommerce', '--allow-weak-hashes', '--report', join(dir, 'again.json'));
    expect(again.status, again.stderr).toBe(0);
    const report = reportOf(join(dir, 'again.json'));
    expect(report.summary).toMatchObject({ accepted: 0, updated: 0 });
    expect(report.summary.reasons.exists).toBe(fixtures.length + 1);
    expect(await counts()).toEqual(before);
    expect(await secretOf(fixtures[0]!.email)).toMatch(/^\$argon2id\$/);
    expect((await server.api('GET', '/audit/verify')).body.ok).toBe(true);
  }, 300_000);

  it('validates a dry run without writing, reads CSV, asks for a new password for a weak hash when the operator chose reset, and updates with --update', async () => {
    const csv = join(dir, 'woocommerce.csv');
    writeFileSync(csv, ['source_id,email,given_name,family_name,password_hash,email_verified', 'wc-501,kalle@example.se,Kalle,"Anka, Jr",$P$BXo1NMYpv0gFmN6pBB7HPXvTl5vyqG/,1', 'wc-502,lisa@example.se,Lisa,Svensson,"{""algorithm"":""md5"",""salt"":""s"",""hash"":""' + md5('spassword') + '""}",0'].join('\r\n'));
    const dry = importFile(csv, '--platform', 'woocommerce', '--dry-run', '--allow-weak-hashes', '--report', join(dir, 'dry.json'));
    expect(dry.status, dry.stderr).toBe(0);
    expect(reportOf(join(dir, 'dry.json')).summary).toMatchObject({ lines: 2, accepted: 2 });
    expect(await idOf('kalle@example.se')).toBeUndefined();

    const weakRefused = importFile(csv, '--platform', 'woocommerce', '--report', join(dir, 'weak.json'));
    expect(weakRefused.status).toBe(0);
    expect(reportOf(join(dir, 'weak.json')).lines[1]).toMatchObject({ line: 3, outcome: 'refused', field: 'password_hash', reason: 'weak_hash_not_allowed' });
    const withReset = importFile(csv, '--platform', 'woocommerce', '--allow-weak-hashes', '--weak-hashes', 'reset', '--report', join(dir, 'reset.json'));
    expect(withReset.status).toBe(0);
    expect(reportOf(join(dir, 'reset.json')).summary).toMatchObject({ accepted: 1, skipped: 1 });
    expect((await server.api('GET', `/customers/${await idOf('kalle@example.se')}`)).body).toMatchObject({ given_name: 'Kalle', family_name: 'Anka, Jr', email_verified: true });
    const weak = await signIn('lisa@example.se', 'password');
    expect(weak.status).toBe(403);
    expect(weak.body).toMatch(/weak form|svag form/);
    expect((await signIn('lisa@example.se', 'wrong')).status).toBe(401);
    expect(await secretOf('lisa@example.se')).toMatch(/^import:salted-md5:reset:/);

    // --update: found by the source id (its reference in the platform's system), fields over the customer's.
    const updates = join(dir, 'updates.ndjson');
    writeFileSync(updates, [{ source_id: 'wc-501', email: 'kalle@example.se', given_name: 'Karl' }, { email: 'ref@example.se', references: { nowhere: '1' } }, { email: 'phone1@example.se', phone_number: '+46701111111' }, { email: 'phone2@example.se', phone_number: '+46701111111' }].map((record) => JSON.stringify(record)).join('\n'));
    const updated = importFile(updates, '--platform', 'woocommerce', '--update', '--report', join(dir, 'updates.json'));
    expect(updated.status, updated.stderr).toBe(0);
    expect(reportOf(join(dir, 'updates.json')).lines.map(({ outcome, field, reason }) => [outcome, field ?? null, reason ?? null])).toEqual([
      ['updated', null, null],
      ['refused', 'references.nowhere', 'unknown_system'],
      ['accepted', null, null],
      ['refused', 'phone_number', 'phone_taken'],
    ]);
    expect((await server.api('GET', `/customers/${await idOf('kalle@example.se')}`)).body).toMatchObject({ given_name: 'Karl', family_name: 'Anka, Jr' });

    // Attribute values of the profile schema, a decision named by its texts' hash, and webhooks only when asked.
    const textHash = (await sql<{ text_hash: string }>`select text_hash from consent_purpose_versions where purpose_key = 'newsletter' and version = 1`.execute(db())).rows[0]!.text_hash;
    const extras = join(dir, 'extras.ndjson');
    writeFileSync(extras, [{ email: 'attr@example.se', attributes: { birthdate: '1990-05-01' }, consents: [{ purpose: 'newsletter', decision: 'declined', text_hash: textHash, captured_at: CAPTURED }] }, { email: 'attr2@example.se', attributes: { shoe_size: 42 } }, { email: 'attr3@example.se', consents: [{ purpose: 'newsletter', decision: 'granted', text_hash: 'not-a-version', captured_at: CAPTURED }] }].map((record) => JSON.stringify(record)).join('\n'));
    const published = importFile(extras, '--platform', 'woocommerce', '--publish-events', '--report', join(dir, 'extras.json'));
    expect(published.status, published.stderr).toBe(0);
    expect(reportOf(join(dir, 'extras.json')).lines.map(({ outcome, field, reason }) => [outcome, field ?? null, reason ?? null])).toEqual([
      ['accepted', null, null],
      ['refused', 'attributes.shoe_size', 'unknown_attribute'],
      ['refused', 'consents.0.text_hash', 'unknown_text_hash'],
    ]);
    const attr = await idOf('attr@example.se');
    expect((await sql<{ value: string }>`select value from customer_attributes where customer_id = ${attr} and key = 'birthdate'`.execute(db())).rows.map((row) => JSON.parse(row.value))).toEqual(['1990-05-01']);
    expect((await server.api('GET', `/customers/${attr}/consents`)).body.history).toEqual([expect.objectContaining({ version: 1, decision: 'declined', text_hash: textHash })]);
    const eventsOf = async (id: string | undefined) => (await sql<{ type: string }>`select type from events where customer_id = ${id!} order by occurred_at`.execute(db())).rows.map((row) => row.type).sort();
    expect(await eventsOf(attr)).toEqual(['consent.declined', 'customer.created']);
    expect(await eventsOf(await idOf('moved0@example.se'))).toEqual([]);
  }, 300_000);

  it('is killed with -9 in the middle of a large file and, run again, imports every line exactly once with a whole report', async () => {
    const total = dialect === 'sqlite' ? 60_000 : 40_000;
    const file = join(dir, 'large.ndjson');
    writeFileSync(file, `${Array.from({ length: total }, (_, i) => JSON.stringify({ source_id: `big-${i}`, email: `big${i}@example.se`, given_name: 'Big', family_name: `Number${i}` })).join('\n')}\n`);
    const customers = async () => Number((await sql<{ n: number }>`select count(*) as n from customers`.execute(db())).rows[0]!.n);
    const before = await customers();
    const child = spawn(join(ROOT, 'bin/portvakt'), ['import', file, '--platform', 'bulk', '--batch', '500'], { cwd: ROOT, env: cliEnv(server), stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let committed = 0;
    for (let i = 0; i < 1200 && committed < 2000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      committed = Number((await sql<{ line: number }>`select committed_line as line from import_runs where platform = 'bulk'`.execute(db())).rows[0]?.line ?? 0);
    }
    child.kill('SIGKILL');
    await exited;
    const stopped = await customers();
    expect(stopped - before).toBeGreaterThan(0);
    expect(stopped - before).toBeLessThan(total);

    const resumed = importFile(file, '--platform', 'bulk', '--report', join(dir, 'large.json'));
    expect(resumed.status, resumed.stderr).toBe(0);
    const report = reportOf(join(dir, 'large.json'));
    expect(report.summary.resumed_after).toBeGreaterThan(0);
    expect(report.summary).toMatchObject({ lines: total, accepted: total, skipped: 0, refused: 0 });
    expect(report.lines.every((line, i) => line.line === i + 1 && line.outcome === 'accepted' && line.source_id === `big-${i}`)).toBe(true);
    expect((await customers()) - before).toBe(total);
    expect(Number((await sql<{ n: number }>`select count(distinct email) as n from customer_emails where email like 'big%'`.execute(db())).rows[0]!.n)).toBe(total);
  }, 600_000);
});

function cliEnv(server: RunningPortvakt): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: server.database.url, PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' };
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
