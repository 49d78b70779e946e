import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { createTestDatabase, DIALECTS } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { ADMIN_KEY } from '../support/portvakt-server.ts';
import { startProcess } from '../support/portvakt-process.ts';

interface Job {
  state: string;
  progress: { lines: number };
  summary: { lines: number; accepted: number; skipped: number; refused: number; resumed_after: number } | null;
  error: string | null;
}

describe.each(DIALECTS)('an import job whose server is killed with -9 on %s', (dialect) => {
  it('is taken up again once its lease runs out, every line imported once, the report whole', { timeout: 240_000 }, async () => {
    const database = await createTestDatabase(dialect);
    const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-import-crash-'));
    const env = { DATABASE_URL: database.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: 'import-crash-secret-0123456789abcdefghij', PORTVAKT_ADMIN_KEY: ADMIN_KEY, RATE_LIMIT_IP_PER_MINUTE: '0' };
    const port = await freePort();
    const call = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${port}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...init.headers } });
    const job = async (id: string) => (await (await call(`/imports/${id}`)).json()) as Job;
    const total = dialect === 'sqlite' ? 60_000 : 40_000;
    const file = `${Array.from({ length: total }, (_, i) => JSON.stringify({ source_id: `k-${i}`, email: `k${i}@example.se`, given_name: 'Killed' })).join('\n')}\n`;
    let child = await startProcess(env, port);
    const store = openStore(database.config);
    try {
      const started = (await (await call('/imports?platform=crash&batch=250', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: file })).json()) as { id: string };
      let seen = await job(started.id);
      while (seen.state === 'running' && seen.progress.lines === 0) seen = await new Promise((resolve) => setTimeout(() => resolve(job(started.id)), 100));
      expect(seen.state).toBe('running');
      const killed = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await killed;

      // An upload left by a node killed while it arrived (no job reads it): removed once an hour old.
      const orphan = join(dataDir, 'imports', '00000000-0000-4000-8000-000000000000.upload');
      writeFileSync(orphan, '{"email": "orphan@example.se"}\n');
      utimesSync(orphan, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
      const fresh = join(dataDir, 'imports', '00000000-0000-4000-8000-000000000001.upload');
      writeFileSync(fresh, '{"email": "arriving@example.se"}\n');

      child = await startProcess(env, port);
      // Its lease (30 s) still runs: nobody takes it up before that; then the node holding its upload does.
      for (let i = 0; i < 1800 && !['completed', 'failed'].includes(seen.state); i++) seen = await new Promise((resolve) => setTimeout(() => resolve(job(started.id)), 100));
      expect(seen.state, seen.error ?? '').toBe('completed');
      expect(seen.summary!.resumed_after).toBeGreaterThan(0);
      expect(seen.summary).toMatchObject({ lines: total, accepted: total, skipped: 0, refused: 0 });
      const report = (await (await call(`/imports/${started.id}/report`)).json()) as { lines: Array<{ line: number; outcome: string; source_id: string }> };
      expect(report.lines.length).toBe(total);
      expect(report.lines.every((entry, i) => entry.line === i + 1 && entry.outcome === 'accepted' && entry.source_id === `k-${i}`)).toBe(true);
      const counted = (await sql<{ n: number }>`select count(*) as n, count(distinct email) as d from customer_emails where email like 'k%@example.se'`.execute(store.db)).rows[0] as unknown as { n: number; d: number };
      expect([Number(counted.n), Number(counted.d)]).toEqual([total, total]);
      // The upload is gone from the data directory once the job completed; the report stays.
      expect(readdirSync(join(dataDir, 'imports')).sort()).toEqual(['00000000-0000-4000-8000-000000000001.upload', `${started.id}.report.json`]);
    } finally {
      child.kill('SIGTERM');
      await store.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
