import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { freePort } from '../support/free-port.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * The shell block after `<!-- first-steps:NAME -->` in the README, as written there. The only
 * change the test makes is the ports: 3000 and 3001 may be taken on a shared machine.
 */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- first-steps:${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no first-steps:${name} block`);
  return match[1]!;
}

/** A shell running README commands in its own process group, so the whole group can be ended. */
class Shell {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';

  constructor(script: string, env: Record<string, string>) {
    this.child = spawn('bash', ['-e', '-c', script], { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Until `url` answers, or the shell ended (then the error says what it printed). */
  async waitFor(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`the commands ended with ${this.child.exitCode}:\n${this.stdout}\n${this.stderr}`);
      try {
        await fetch(url, { redirect: 'manual' });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  end(): void {
    if (this.child.exitCode === null && this.child.pid) process.kill(-this.child.pid, 'SIGTERM');
  }
}

describe("the README's first steps, run as written", () => {
  const shells: Shell[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-first-steps-'));
  afterAll(async () => {
    for (const shell of shells) shell.end();
    await Promise.all(shells.map((shell) => (shell.child.exitCode === null ? new Promise((resolve) => shell.child.once('exit', resolve)) : undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ends with an ID token of the sample relying party for the customer who signed up there', async () => {
    const [port, rpPort] = [await freePort(), await freePort()];
    const issuer = `http://localhost:${port}`;
    const rp = `http://127.0.0.1:${rpPort}`;
    const onThesePorts = (commands: string) => commands.replaceAll('localhost:3000', `localhost:${port}`).replaceAll('127.0.0.1:3001', `127.0.0.1:${rpPort}`);
    // The same data directory for both terminals, as `./data` is when both run in the clone.
    const common = { PORTVAKT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };

    const server = new Shell(onThesePorts(readmeBlock('server')), { ...common, PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_GRACE_SECONDS: '0' });
    shells.push(server);
    await server.waitFor(`${issuer}/readyz`);

    // Steps 2 and 3 in one terminal: the setup's variables are the relying party's client.
    // ISSUER and SAMPLE_RP_URL tell the sample the ports (its defaults are 3000 and 3001).
    const terminal = new Shell(`${onThesePorts(readmeBlock('setup'))}\n${onThesePorts(readmeBlock('relying-party'))}`, { ...common, ISSUER: issuer, SAMPLE_RP_URL: rp });
    shells.push(terminal);
    await terminal.waitFor(`${rp}/`);
    const printed = /^\{\n[\s\S]*?\n\}$/m.exec(terminal.stdout);
    expect(printed, terminal.stdout).not.toBeNull();
    const client = JSON.parse(printed![0]) as { client_id: string; client_secret: string; warnings: unknown[] };
    expect(client.client_id).toMatch(/\S{10,}/);
    expect(client.client_secret).toMatch(/\S{20,}/);
    expect(client.warnings).toEqual([]);

    // Step 4, the browser: the sample sends it to Portvakt, where a new customer signs up with
    // the code from the development outbox; Portvakt sends it back to the sample's callback.
    const agent = new CookieAgent();
    const email = `first-steps-${Date.now()}@example.com`;
    const callback = await agent.authorize(`${rp}/`, issuer, { email, password: '', signUp: true });
    expect(callback.startsWith(`${rp}/callback?`), callback).toBe(true);
    const landing = await agent.request(callback);
    const html = await landing.text();
    expect(landing.status, html).toBe(200);
    expect(html).toContain(`Signed in as ${email}`);

    const idToken = /<pre id="id_token"[^>]*>([^<]+)<\/pre>/.exec(html)?.[1];
    expect(idToken).toBeDefined();
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload } = await jwtVerify(idToken!, jwks, { issuer, audience: client.client_id });
    expect(payload).toMatchObject({ email, email_verified: true });
    expect(terminal.stdout).toContain(`signed in: `);
  });
});
