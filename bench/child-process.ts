import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export const ROOT = new URL('..', import.meta.url).pathname;
/** The management key and deployment secret every benchmarked Portvakt runs with. */
export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789abcdefghij';
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0';

/**
 * What every benchmarked Portvakt runs with unless a bench says otherwise: no drain on stop, and
 * no per-address or per-client rate limits, since every request of a benchmark comes from one
 * address and one or two clients (the limits are tested in test/e2e/rate-limits.test.ts).
 */
const BENCH_DEFAULTS = { SHUTDOWN_GRACE_SECONDS: '0', RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_CLIENT_PER_MINUTE: '0' };

/**
 * Starts a Node process from the project root and resolves once `readyUrl` answers (30 s at most).
 * `onLine` receives its standard output line by line (otherwise it is dropped).
 */
export function startChild(args: string[], env: Record<string, string>, readyUrl: string, onLine?: (line: string) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...BENCH_DEFAULTS, ...env }, stdio: ['ignore', onLine ? 'pipe' : 'ignore', 'inherit'] });
  if (onLine) createInterface({ input: child.stdout! }).on('line', onLine);
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = () =>
      fetch(readyUrl).then(
        () => resolve(child),
        () => (Date.now() > deadline ? reject(new Error(`${args.join(' ')} did not start`)) : setTimeout(poll, 100)),
      );
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    poll();
  });
}

/** SIGTERM, and resolves once the process has exited (at once when it already has). */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Runs a Node command from the project root to its end (e.g. `src/cli.ts seed …`): its standard output, or an error naming its exit code. */
export function runNode(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited with ${code}`)))));
}

/** Resident memory of a process in MiB: now (VmRSS) and at its peak (VmHWM). */
export function memory(child: ChildProcess): { rss_mib: number; peak_mib: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss_mib: Math.round(kib('VmRSS') / 1024), peak_mib: Math.round(kib('VmHWM') / 1024) };
}
