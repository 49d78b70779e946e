import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const WHO = { email: 'audited@example.se', password: 'an audited passphrase' };

describe.each(DIALECTS)('audit log on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect));
  });
  afterAll(() => server?.stop());

  const entries = () => server.portvakt.store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();

  it('records operator changes, failed and successful sign-ins, with ids only and never secrets', async () => {
    const id = (await server.api('POST', '/customers', WHO)).body.id;
    await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, { ...WHO, password: 'not the passphrase' }).catch(() => undefined);
    await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, WHO);
    await server.api('PATCH', `/customers/${id}`, { given_name: 'Audit' });

    const log = await entries();
    const actions = log.filter((entry) => entry.subject_id === id).map((entry) => [entry.action, entry.actor_type]);
    expect(actions).toEqual([
      ['customer.created', 'operator'],
      ['sign_in.failed', 'customer'],
      ['sign_in.succeeded', 'customer'],
      ['customer.updated', 'operator'],
    ]);
    const succeeded = log.find((entry) => entry.action === 'sign_in.succeeded')!;
    expect(JSON.parse(succeeded.details)).toMatchObject({ methods: ['pwd'], acr: 'urn:portvakt:acr:1fa' });
    expect(JSON.parse(log.find((entry) => entry.action === 'customer.updated')!.details)).toMatchObject({ fields: ['given_name'] });
    const everything = JSON.stringify(log);
    for (const secret of [WHO.password, 'not the passphrase', WHO.email, 'Audit']) expect(everything).not.toContain(secret);
    expect((await server.api('GET', '/audit/verify')).body).toEqual({ ok: true, entries: log.length });
  });

  it('names the altered entry, through the API and `portvakt audit verify`', async () => {
    const target = (await entries()).find((entry) => entry.action === 'sign_in.failed')!;
    await sql`update audit_log set details = ${'{"method":"pwd","reason":"nothing happened"}'} where seq = ${target.seq}`.execute(server.portvakt.store.db);
    expect((await server.api('GET', '/audit/verify')).body).toMatchObject({ ok: false, broken_at: Number(target.seq), problem: 'altered', reason: 'its content does not match its hash' });
    const cli = spawnSync(join(ROOT, 'bin/portvakt'), ['audit', 'verify'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: server.database.url, PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.status).toBe(2);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: false, broken_at: Number(target.seq) });
  });
});
