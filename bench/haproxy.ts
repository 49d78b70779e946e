import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/**
 * The HAProxy configuration the README's deployment section shows, for `servers` Portvakt nodes:
 * round robin, a node is taken out as soon as /readyz says 503 (it drains on SIGTERM for
 * SHUTDOWN_GRACE_SECONDS, longer than `inter × fall`), and back after two good checks; a request
 * whose connection failed before any answer is sent to another node.
 */
export function haproxyConfig(bind: string, servers: string[]): string {
  return `global
    maxconn 4000

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s
    option forwardfor
    # A node that refused the connection or closed it without answering: try another.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

frontend portvakt
    bind ${bind}
    default_backend portvakt_nodes

backend portvakt_nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr host portvakt-check
    http-check expect status 200
    # Checked every 500 ms (an answer may take 2 s): out after one failure, back after two successes.
    # A node back from a restart gets its share over 10 s: it serves 55-75 % of its steady rate
    # while V8 compiles its hot paths in the first seconds (bench cluster: warmup_tokens_per_s).
    timeout check 2s
    default-server inter 500ms fall 1 rise 2 slowstart 10s
${servers.map((address, index) => `    server node${index + 1} ${address} check`).join('\n')}
`;
}

/** HAProxy in the foreground (-db) on a written configuration; resolves once it listens. */
export async function startHaproxy(configPath: string, config: string, healthUrl: string): Promise<ChildProcess> {
  writeFileSync(configPath, config);
  const child = spawn('haproxy', ['-db', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`haproxy could not start (${error.message}); install it with apt-get install -y haproxy`))));
  const listening = (async () => {
    for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
      try {
        if ((await fetch(healthUrl)).ok) return child;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  })();
  return Promise.race([listening, spawnFailed]);
}
