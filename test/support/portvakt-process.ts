import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * `portvakt start` as a real child process on 127.0.0.1 (for kill -9 tests), once `/readyz`
 * answers. One worker unless `workers` says otherwise, so the child's pid is the server's.
 */
export async function startProcess(env: Record<string, string>, port: number, workers = 1): Promise<ChildProcess> {
  const child = spawn(join(ROOT, 'bin/portvakt'), ['start', '--workers', String(workers)], { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', SHUTDOWN_GRACE_SECONDS: '0' }, stdio: 'ignore' });
  for (const deadline = Date.now() + 30_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}
