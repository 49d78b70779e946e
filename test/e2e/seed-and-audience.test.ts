import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const SEEDED = 2500;
const texts = { title: 'Newsletter', description: 'Offers by e-mail.', legal_text: 'Until you withdraw.' };

/** `portvakt seed` makes real customers: they sign in, and the audience export streams all of them page by page. */
describe.each(DIALECTS)('portvakt seed and the audience export on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  const seedAs = (databaseUrl: string, ...args: string[]) =>
    spawnSync(join(ROOT, 'bin/portvakt'), ['seed', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 120_000,
    });
  const seed = (...args: string[]) => seedAs(server.database.url, ...args);

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect));
    expect((await server.api('POST', '/consent-purposes', { key: 'newsletter', texts: { sv: texts, en: texts } })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('seeds customers who sign in and stream out of the audience export completely, once each', async () => {
    const run = seed('--customers', String(SEEDED), '--consent', 'newsletter', '--batch', '1000');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('checkpoint skipped');
    expect(JSON.parse(run.stdout)).toMatchObject({ customers: SEEDED, consent_records: SEEDED });
    // A second run continues the numbering; declined customers are not in the granted audience.
    expect(seed('--customers', '10', '--start', String(SEEDED), '--consent', 'newsletter=declined').status).toBe(0);

    const seen = new Set<string>();
    let after: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { customers: string[]; next: string | null } } = await server.api('GET', `/consent-purposes/newsletter/customers?limit=1000${after ? `&after=${after}` : ''}`);
      expect(page.status).toBe(200);
      for (const id of page.body.customers) seen.add(id);
      after = page.body.next;
      pages += 1;
    } while (after);
    expect(seen.size).toBe(SEEDED);
    expect(pages).toBe(3);
    expect((await server.api('GET', '/consent-purposes/newsletter/customers?state=declined')).body.customers).toHaveLength(10);
    // Counted as they went in: Portvakt on the data map holds them all, the consent figures have their decisions.
    expect((await server.api('GET', '/data-map')).body.systems[0]).toMatchObject({ system: 'portvakt', customer_count: SEEDED + 10 });
    expect((await server.api('GET', '/consent-figures')).body.purposes).toEqual([expect.objectContaining({ purpose: 'newsletter', granted: SEEDED, declined: 10, withdrawn: 0, by_brand: [expect.objectContaining({ brand: null, granted: SEEDED })] })]);

    const who = { email: 'seed1234@seed.example', password: 'seeded passphrase 2026' };
    const tokens = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl({ scope: 'openid email consents' }), server.url, who));
    expect(seen.has(tokens.claims()!.sub)).toBe(true);
    expect(tokens.claims()).toMatchObject({ email: who.email, consents: [{ purpose: 'newsletter', version: 1 }] });
    expect((await server.api('GET', '/audit/verify')).body.ok).toBe(true);
  });

  it.runIf(dialect === 'postgres')('seeds as a role that may not run CHECKPOINT, and says the checkpoint was skipped', async () => {
    const role = `portvakt_seeder_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server.database.url });
    await admin.connect();
    try {
      await admin.query(`create role ${role} login`);
      await admin.query(`grant usage on schema public to ${role}`);
      await admin.query(`grant select, insert, update on all tables in schema public to ${role}`);
      const url = new URL(server.database.url);
      url.username = role;
      const run = seedAs(url.toString(), '--customers', '20', '--start', '900000');
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ customers: 20 });
      expect(run.stderr).toContain('checkpoint skipped (42501');
      expect((await server.api('GET', '/customers?email=seed900019@seed.example')).body.customers).toHaveLength(1);
    } finally {
      await admin.query(`reassign owned by ${role} to current_user`).catch(() => undefined);
      await admin.query(`drop owned by ${role}`).catch(() => undefined);
      await admin.query(`drop role if exists ${role}`).catch(() => undefined);
      await admin.end();
    }
  });

  it('refuses bad arguments and unknown purposes, writing nothing', async () => {
    const before = (await server.api('GET', '/consent-purposes/newsletter/customers?limit=5000')).body.customers.length;
    for (const args of [[], ['--customers', '0'], ['--customers', 'many'], ['--customers', '5', '--consent', 'nope'], ['--customers', '5', '--consent', 'newsletter=maybe'], ['--customerz', '5']]) {
      const run = seed(...args);
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/^portvakt: /);
    }
    expect((await server.api('GET', '/consent-purposes/newsletter/customers?limit=5000')).body.customers.length).toBe(before);
  });
});
