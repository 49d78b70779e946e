import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      env: { ...process.env, PORT: String(port), PORTVAKT_DATA_DIR: join(cwd, 'data'), LOG_LEVEL: 'silent' },
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

describe('portvakt start', () => {
  it('drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(CLI, ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), PORTVAKT_DATA_DIR: tempDir(), LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(`http://127.0.0.1:${port}/healthz`, Date.now() + 30_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
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
