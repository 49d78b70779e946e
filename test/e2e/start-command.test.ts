import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, createTestDatabase } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/portvakt');
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'portvakt-cli-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function cli(args: string[], env: Record<string, string>) {
  const result = spawnSync(CLI, args, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function waitFor(url: string, deadline: number): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('npm start on a fresh data directory', () => {
  it('serves discovery within 30 s with no configuration but a port', async () => {
    const cwd = tempDir();
    const port = await freePort();
    const started = Date.now();
    const child = spawn('npm', ['start', '--prefix', ROOT], {
      cwd,
      env: { ...process.env, PORT: String(port), PORTVAKT_DATA_DIR: join(cwd, 'data'), LOG_LEVEL: 'silent', SHUTDOWN_GRACE_SECONDS: '0' },
      stdio: 'ignore',
      detached: true,
    });
    try {
      const response = await waitFor(`http://127.0.0.1:${port}/.well-known/openid-configuration`, started + 30_000);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(((await response.json()) as { issuer: string }).issuer).toBe(`http://localhost:${port}`);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  });
});

const children = (pid: number) => spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);

describe('portvakt start', () => {
  it('on SIGTERM drains first (not ready, connections closed, requests still served), then closes the port and exits 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(CLI, ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), PORTVAKT_DATA_DIR: tempDir(), LOG_LEVEL: 'silent', SHUTDOWN_GRACE_SECONDS: '2' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(`${base}/healthz`, Date.now() + 30_000);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const signalled = Date.now();
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: string }).error).toBe('shutting_down');
    const discovery = await fetch(`${base}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.headers.get('connection')).toBe('close');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(2000);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('refuses --workers above 1 on the embedded SQLite database, and a malformed flag', () => {
    const env = { PORT: '0', PORTVAKT_DATA_DIR: tempDir() };
    const many = cli(['start', '--workers', '2'], env);
    expect(many.code).toBe(1);
    expect(many.stderr).toContain('--workers above 1 needs PostgreSQL');
    expect(cli(['start', '--workers', 'lots'], env).stderr).toContain('start takes only --workers N');
  });

  it('runs --workers 2 on PostgreSQL: two workers serve one port, a dead worker is replaced, SIGTERM stops them all', async () => {
    const database = await createTestDatabase('postgres');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const primary = spawn(CLI, ['start', '--workers', '2'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, PORTVAKT_SECRET: 'cluster-test-secret-0123456789abcdefghij', LOG_LEVEL: 'info', SHUTDOWN_GRACE_SECONDS: '0' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
    // The primary says when each worker listens (the port refuses connections while none does).
    const listening: number[] = [];
    createInterface({ input: primary.stdout! }).on('line', (line) => {
      if (line.includes('"worker listening"')) listening.push((JSON.parse(line) as { worker: number }).worker);
    });
    const waitForListening = async (count: number) => {
      for (const deadline = Date.now() + 60_000; listening.length < count; await new Promise((resolve) => setTimeout(resolve, 100))) {
        expect(Date.now()).toBeLessThan(deadline);
      }
    };
    try {
      await waitForListening(2);
      const waitForWorkers = async (count: number, unlike: number[] = []) => {
        for (const deadline = Date.now() + 30_000; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
          const pids = children(primary.pid!);
          if (pids.length === count && pids.every((pid) => !unlike.includes(pid))) return pids;
          expect(Date.now()).toBeLessThan(deadline);
        }
      };
      const workers = await waitForWorkers(2);
      process.kill(workers[0]!, 'SIGKILL');
      // Once the primary has reaped the killed worker (it hands it no more connections; before
      // that, on a loaded machine, a new connection could still go to it and hang), new
      // connections reach the other worker, which keeps serving while the first is replaced.
      // Kept-alive connections to the killed worker died with it, so a fresh agent is used.
      for (const deadline = Date.now() + 30_000; children(primary.pid!).includes(workers[0]!); await new Promise((resolve) => setTimeout(resolve, 100))) {
        expect(Date.now()).toBeLessThan(deadline);
      }
      const fresh = new Agent({ pipelining: 0, headersTimeout: 10_000 });
      for (let i = 0; i < 20; i++) {
        const answer = await undiciFetch(`${base}/.well-known/openid-configuration`, { dispatcher: fresh });
        await answer.arrayBuffer();
        expect(answer.status).toBe(200);
      }
      await fresh.close();
      const replaced = await waitForWorkers(2, [workers[0]!]);
      expect(replaced).toContain(workers[1]);
      await waitForListening(3);
      expect(listening[2]).not.toBe(workers[0]);
      primary.kill('SIGTERM');
      const timedOut = new Promise<string>((resolve) => setTimeout(() => resolve('no exit within 30 s'), 30_000).unref());
      expect(await Promise.race([exited, timedOut])).toBe(0);
      expect(replaced.filter((pid) => spawnSync('kill', ['-0', String(pid)]).status === 0)).toEqual([]);
    } finally {
      primary.kill('SIGKILL');
      await database.drop();
    }
  }, 120_000);
});

describe('portvakt CLI', () => {
  it('stops a start with a bad variable with one line naming it', () => {
    const result = cli(['start'], { PORT: 'abc', PORTVAKT_DATA_DIR: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['portvakt: PORT must be a number']);
  });

  it.each(DIALECTS)('migrates, rotates and lists keys on %s', async (dialect) => {
    const database = await createTestDatabase(dialect);
    try {
      const env = { DATABASE_URL: database.url, PORTVAKT_DATA_DIR: tempDir(), PORTVAKT_SECRET: 'cli-test-secret-0123456789abcdefghijkl' };
      const migrated = cli(['migrate'], env);
      expect(migrated.code).toBe(0);
      expect(migrated.stdout).toContain('0001-initial');
      expect(cli(['migrate'], env).stdout).toBe(`migrations up to date on ${dialect}\n`);
      const rotated = JSON.parse(cli(['keys', 'rotate'], env).stdout) as { added: string[]; retired: string[] };
      expect(rotated.added).toHaveLength(2);
      expect(rotated.retired).toHaveLength(2);
      const listed = JSON.parse(cli(['keys', 'list'], env).stdout) as Array<{ kid: string }>;
      expect(listed.map((key) => key.kid).slice(0, 2).sort()).toEqual([...rotated.added].sort());
      expect(listed).toHaveLength(4);
      expect(cli(['nonsense'], env).code).toBe(1);
    } finally {
      await database.drop();
    }
  });
});
