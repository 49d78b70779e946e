import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { mapSystems } from '../support/data-map.ts';
import { CAPTURED, mixedCustomers } from '../support/hash-samples.ts';
import { ADMIN_KEY, type RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT, startWithShop } from '../support/shop.ts';

const texts = { title: 'Newsletter', description: 'Offers by e-mail.', legal_text: 'Until you withdraw.' };
/** Small enough to test the limit with a few megabytes, large enough for every file here. */
const MAX_BYTES = 4 * 1024 * 1024;

interface Job {
  id: string;
  state: 'running' | 'completed' | 'failed' | 'interrupted';
  progress: { lines: number; bytes: number; total_bytes: number };
  summary: { lines: number; accepted: number; updated: number; skipped: number; refused: number; hash_formats: Record<string, number>; reasons: Record<string, number>; resumed_after: number } | null;
  error: string | null;
  started_by: string;
}

describe.each(DIALECTS)('POST /api/v1/imports on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  const db = () => server.portvakt.store.db;
  const secretOf = async (email: string) =>
    (await sql<{ secret: string }>`select c.secret from credentials c join customer_emails e on e.customer_id = c.customer_id where e.email = ${email} and c.type = 'password'`.execute(db())).rows[0]?.secret;
  const customersLike = async (pattern: string) => Number((await sql<{ n: number }>`select count(*) as n from customer_emails where email like ${pattern}`.execute(db())).rows[0]!.n);

  async function upload(body: string, query = '', contentType = 'application/x-ndjson', key = ADMIN_KEY): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server.url}/api/v1/imports${query}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function until(id: string, done: (job: Job) => boolean = (job) => job.state === 'completed' || job.state === 'failed'): Promise<Job> {
    for (let i = 0; i < 1200; i++) {
      const job = (await server.api<Job>('GET', `/imports/${id}`)).body;
      if (done(job)) return job;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`import ${id} did not get there`);
  }

  async function reportOf(id: string): Promise<{ lines: Array<{ line: number; outcome: string; source_id?: string; field?: string; reason?: string; hash_format?: string }>; summary: Job['summary'] }> {
    const response = await fetch(`${server.url}/api/v1/imports/${id}/report`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return JSON.parse(await response.text());
  }

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect, { IMPORT_UPLOAD_MAX_BYTES: String(MAX_BYTES), RATE_LIMIT_IP_PER_MINUTE: '0' }));
    expect((await server.api('POST', '/consent-purposes', { key: 'newsletter', texts: { sv: texts, en: texts } })).status).toBe(201);
    await mapSystems(server, 'woocommerce');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('imports an uploaded file of mixed hashes as a job; each customer then signs in with their old password', async () => {
    const mixed = await mixedCustomers(48);
    const bad = [JSON.stringify({ source_id: 'wc-bad-email', email: 'not an address' }), '{"source_id": "wc-broken", "email": '];
    const started = await upload(`${[...mixed.lines, ...bad].join('\n')}\n`, '?platform=woocommerce&allow_weak_hashes=true');
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ state: 'running', options: { format: 'ndjson', platform: 'woocommerce', allow_weak_hashes: true, dry_run: false }, started_by: 'admin-key' });

    const job = await until(started.body.id);
    expect(job.state, job.error ?? '').toBe('completed');
    const lines = mixed.lines.length + bad.length;
    expect(job.progress).toMatchObject({ lines, bytes: job.progress.total_bytes });
    expect(job.summary).toMatchObject({ lines, accepted: mixed.lines.length, refused: 2, reasons: { invalid: 1, bad_json: 1 } });
    expect(Object.keys(job.summary!.hash_formats)).toHaveLength(13);
    expect((await server.api<{ imports: Job[] }>('GET', '/imports')).body.imports.map((listed) => listed.id)).toContain(job.id);

    // The report is the command line's: every line once, no personal data.
    const report = await reportOf(job.id);
    expect(report.lines.map((line) => line.line)).toEqual(Array.from({ length: lines }, (_, i) => i + 1));
    expect(report.lines.slice(-2).map(({ outcome, field, reason }) => [outcome, field ?? null, reason])).toEqual([
      ['refused', 'email', 'invalid: must be an e-mail address'],
      ['refused', null, 'bad_json'],
    ]);
    expect(report.summary).toEqual(job.summary);
    expect(JSON.stringify(report)).not.toMatch(/@example\.se/);

    // One audit entry for the run, naming who uploaded it; the upload itself is gone from the data directory.
    const audit = (await sql<{ actor_id: string }>`select actor_id from audit_log where action = 'customers.imported'`.execute(db())).rows;
    expect(audit).toEqual([{ actor_id: 'admin-key' }]);

    for (const fixture of mixed.fixtures) {
      expect(await secretOf(fixture.email), fixture.email).toMatch(new RegExp(`^import:${fixture.format}:`));
      const landed = await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, { email: fixture.email, password: fixture.password });
      expect(landed, `${fixture.format} ${fixture.email}`).toMatch(new RegExp(`^${SHOP_REDIRECT}\\?code=`));
      expect(await secretOf(fixture.email), fixture.format).toMatch(/^\$argon2id\$/);
    }
    const id = (await sql<{ customer_id: string }>`select customer_id from customer_emails where email = 'moved0@example.se'`.execute(db())).rows[0]!.customer_id;
    expect((await server.api('GET', `/customers/${id}/consents`)).body.history).toEqual([expect.objectContaining({ purpose: 'newsletter', source: expect.objectContaining({ platform: 'woocommerce', captured_at: CAPTURED / 1000 }) })]);
  }, 600_000);

  it('reads an uploaded CSV with quoted line breaks and commas (RFC 4180), numbering records by their first line', async () => {
    const csv = [
      'source_id,email,given_name,family_name,email_verified',
      'csv-1,csv1@example.se,"Anna\nMaria","Ek, Jr",true',
      'csv-2,csv2@example.se,Bo,"Lund ""Junior""",false',
      'csv-3,csv3@example.se,Cai,Wu"x,true',
      'csv-4,csv4@example.se,Dan,Berg,true',
    ].join('\r\n');
    const started = await upload(`${csv}\r\n`, '?platform=woocommerce', 'text/csv; charset=utf-8');
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body.options.format).toBe('csv');
    const job = await until(started.body.id);
    expect(job.state, job.error ?? '').toBe('completed');
    expect((await reportOf(job.id)).lines.map(({ line, outcome, reason }) => [line, outcome, reason ?? null])).toEqual([
      [2, 'accepted', null],
      [4, 'accepted', null],
      [5, 'refused', 'bad_csv'],
      [6, 'accepted', null],
    ]);
    const customerOf = async (email: string) => {
      const id = (await sql<{ customer_id: string }>`select customer_id from customer_emails where email = ${email}`.execute(db())).rows[0]!.customer_id;
      return (await server.api('GET', `/customers/${id}`)).body;
    };
    expect(await customerOf('csv1@example.se')).toMatchObject({ given_name: 'Anna\nMaria', family_name: 'Ek, Jr', email_verified: true });
    expect(await customerOf('csv2@example.se')).toMatchObject({ given_name: 'Bo', family_name: 'Lund "Junior"', email_verified: false });
    expect(await customerOf('csv4@example.se')).toMatchObject({ given_name: 'Dan', family_name: 'Berg' });
    expect(await customersLike('csv3@%')).toBe(0);
  }, 120_000);

  it('refuses bad uploads with stable codes, and non-admin keys with 403', async () => {
    const line = `${JSON.stringify({ email: 'refused@example.se' })}\n`;
    expect((await upload(line, '', 'application/json')).body.error).toBe('unsupported_media_type');
    expect((await upload(line, '', 'application/json')).status).toBe(415);
    expect(await upload(line, '?dry_run=yes')).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect(await upload(line, '?no_such_flag=true')).toMatchObject({ status: 400, body: { error: 'unknown_field' } });
    expect(await upload(line, '?batch=0')).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect(await upload('')).toMatchObject({ status: 400, body: { error: 'empty_upload' } });
    expect(await upload("\n".repeat(MAX_BYTES + 1))).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    expect(await server.api('GET', '/imports/00000000-0000-4000-8000-000000000000')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await server.api('GET', '/imports/not-an-id')).toMatchObject({ status: 400, body: { error: 'validation_failed' } });

    for (const role of ['agent', 'integration', 'privacy_officer']) {
      const key = (await server.api('POST', '/api-keys', { name: `import ${role}`, role, ...(role === 'integration' ? { systems: ['woocommerce'] } : {}) })).body.key as string;
      expect(key, role).toMatch(/^pvk_/);
      expect(await upload(line, '', 'application/x-ndjson', key), role).toMatchObject({ status: 403, body: { error: 'forbidden' } });
      const listed = await fetch(`${server.url}/api/v1/imports`, { headers: { authorization: `Bearer ${key}` } });
      expect(listed.status, role).toBe(403);
    }
    expect(await customersLike('refused@%')).toBe(0);
    const openapi = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
    expect(Object.keys(openapi.paths['/api/v1/imports']!.post.requestBody.content).sort()).toEqual(['application/octet-stream', 'application/x-ndjson', 'text/csv']);
    expect(openapi.paths['/api/v1/imports']!.post['x-roles']).toEqual(['admin']);

    // A file that cannot be read as a whole fails, saying why; it has no report.
    const broken = await upload('"email,given_name\nbroken@example.se,B\n', '', 'text/csv');
    expect(broken.status).toBe(202);
    expect(await until(broken.body.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/^bad_file: the CSV header \(line 1\) cannot be read/), summary: null });
    const noReport = await fetch(`${server.url}/api/v1/imports/${broken.body.id}/report`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect([noReport.status, ((await noReport.json()) as { error: string }).error]).toEqual([409, 'report_not_ready']);

    // A dry run writes nothing but its report.
    const dry = await upload(line, '?dry_run=true');
    expect(dry.status).toBe(202);
    const checked = await until(dry.body.id);
    expect(checked.summary).toMatchObject({ lines: 1, accepted: 1 });
    expect(await customersLike('refused@%')).toBe(0);
  }, 120_000);

  it('continues a job the server stopped in the middle of, every line imported once, the report whole', async () => {
    const total = 40_000;
    const file = `${Array.from({ length: total }, (_, i) => JSON.stringify({ source_id: `up-${i}`, email: `up${i}@example.se`, given_name: 'Up' })).join('\n')}\n`;
    const started = await upload(file, '?platform=bulk&batch=250');
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect((await upload(file, '?platform=bulk&batch=250')).body).toMatchObject({ error: 'import_running', details: { job: started.body.id } });
    const midway = await until(started.body.id, (job) => job.progress.lines > 0 || job.state !== 'running');
    expect(midway.state).toBe('running');
    expect(midway.progress.lines).toBeLessThan(total);

    await server.restart();
    const job = await until(started.body.id);
    expect(job.state, job.error ?? '').toBe('completed');
    expect(job.summary!.resumed_after).toBeGreaterThan(0);
    expect(job.summary).toMatchObject({ lines: total, accepted: total, skipped: 0, refused: 0 });
    const report = await reportOf(job.id);
    expect(report.lines.every((entry, i) => entry.line === i + 1 && entry.outcome === 'accepted' && entry.source_id === `up-${i}`)).toBe(true);
    expect(report.lines).toHaveLength(total);
    expect(await customersLike('up%@example.se')).toBe(total);
  }, 300_000);
});
