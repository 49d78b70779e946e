import { spawn, type ChildProcess } from 'node:child_process';

const ROOT = new URL('..', import.meta.url).pathname;

/** Starts a Node process from the project root and resolves once `readyUrl` answers (30 s at most). */
export function startChild(args: string[], env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
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

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
