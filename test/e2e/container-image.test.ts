import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { sourceFiles } from '../architecture/source-files.ts';
import { freePort } from '../support/free-port.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

/**
 * No container engine runs on this machine (README, Container image), so the image is not built
 * here: these tests hold the Dockerfile, compose.yaml and the HAProxy configuration to what the
 * README says of them, check what can be run outside an engine (the health check's command, HAProxy's
 * own configuration check), and that the production install (`npm ci --omit=dev`) has every package
 * the server imports.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Instruction {
  keyword: string;
  argument: string;
}

/** The Dockerfile's instructions per stage: continuation lines joined, comments and blank lines left out. */
function dockerfileStages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const stages: Instruction[][] = [];
  for (const line of lines) {
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword!.toUpperCase(), argument: rest.join(' ') };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

/** Packages `src/` loads at run time: value imports and dynamic imports, not `import type`, not node's own. */
function runtimePackages(): Set<string> {
  const packages = new Set<string>();
  const add = (specifier: string) => {
    if (specifier.startsWith('.') || specifier.startsWith('node:')) return;
    packages.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
  };
  for (const [path, text] of sourceFiles()) {
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text);
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) add(node.arguments[0].text);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return packages;
}

const stages = dockerfileStages(read('Dockerfile'));
const final = stages.at(-1)!;
const finalOf = (keyword: string) => final.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.argument);

/** The HEALTHCHECK's command run as the container would, with the image's PORT: its exit status. */
function healthCheck(port: string): Promise<number | null> {
  const check = finalOf('HEALTHCHECK')[0]!;
  expect(check).toMatch(/^--interval=10s --timeout=3s --start-period=30s --retries=3 CMD \[/);
  const command = JSON.parse(check.slice(check.indexOf('CMD ') + 4)) as string[];
  expect(command.slice(0, 2)).toEqual(['node', '-e']);
  expect(command[2]).toContain('/readyz');
  // Not spawnSync: a server of this test answers from this process's event loop.
  return new Promise((resolve) => {
    execFile(process.execPath, command.slice(1), { env: { ...process.env, PORT: port }, timeout: 10_000 }, (error) => resolve(error ? (typeof error.code === 'number' ? error.code : null) : 0));
  });
}

describe('Dockerfile', () => {

  it('installs production dependencies in a stage of its own and copies only them, the CLI and the sources into the last', () => {
    expect(stages.length).toBe(2);
    expect(stages[0]![0]!.argument).toBe('${NODE_IMAGE} AS dependencies');
    expect(stages[0]!.find((instruction) => instruction.keyword === 'RUN')?.argument).toMatch(/^npm ci --omit=dev --ignore-scripts && node -e "new \(require\('better-sqlite3'\)\)/);
    expect(finalOf('COPY')).toEqual(['--from=dependencies /app/node_modules ./node_modules', 'package.json ./', 'bin ./bin', 'src ./src']);
  });

  it('runs as the unprivileged user, with the data directory a volume and everything else read only', () => {
    expect(finalOf('USER')).toEqual(['node']);
    expect(finalOf('VOLUME')).toEqual(['/data']);
    expect(finalOf('ENV').join(' ')).toContain('PORTVAKT_DATA_DIR=/data');
    expect(finalOf('ENV').join(' ')).toContain('NODE_ENV=production');
    expect(finalOf('RUN')).toEqual(['mkdir /data && chown node:node /data']);
    // USER comes after every COPY and RUN: the code stays root's, unwritable by the server.
    const userAt = final.findIndex((instruction) => instruction.keyword === 'USER');
    expect(final.slice(userAt).some((instruction) => ['COPY', 'RUN', 'ADD'].includes(instruction.keyword))).toBe(false);
  });

  it('starts the server as process 1, stopped by SIGTERM', () => {
    expect(finalOf('ENTRYPOINT')).toEqual(['["node", "src/cli.ts"]']);
    expect(finalOf('CMD')).toEqual(['["start"]']);
    expect(finalOf('STOPSIGNAL')).toEqual(['SIGTERM']);
  });

  it('keeps tests and everything but the package files, bin/ and src/ out of the build context', () => {
    expect(read('.dockerignore').split('\n').filter((line) => line && !line.startsWith('#'))).toEqual(['*', '!package.json', '!package-lock.json', '!bin/', '!src/', 'src/**/*.test.ts']);
  });

  it('has every package the server imports among the production dependencies', () => {
    const dependencies = Object.keys((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies);
    const imported = runtimePackages();
    expect(imported.size).toBeGreaterThan(10);
    expect([...imported].filter((name) => !dependencies.includes(name)).sort()).toEqual([]);
  });

  describe('health check', () => {
    let server: RunningPortvakt;
    beforeAll(async () => {
      server = await startPortvakt('sqlite');
    });
    afterAll(() => server.stop());

    it('passes while /readyz answers 200 and fails while the node drains or is gone', async () => {
      const port = new URL(server.url).port;
      expect(await healthCheck(port)).toBe(0);
      server.portvakt.drain();
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect(await healthCheck(port)).toBe(1);
      await server.restart();
      expect(await healthCheck(port)).toBe(0);
      expect(await healthCheck('9')).toBe(1);
    });
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, any>; networks: Record<string, any> };
  const services = compose.services;

  it('has two Portvakt nodes, PostgreSQL, Redis and HAProxy', () => {
    expect(Object.keys(services).sort()).toEqual(['haproxy', 'portvakt-1', 'portvakt-2', 'postgres', 'redis']);
  });

  it('runs each node from the image built here, read only but for its data volume and /tmp, on the shared PostgreSQL and Redis', () => {
    for (const name of ['portvakt-1', 'portvakt-2']) {
      const node = services[name];
      expect(node.build).toBe('.');
      expect(node.read_only).toBe(true);
      expect(node.tmpfs).toEqual(['/tmp']);
      expect(node.volumes).toEqual([`${name}-data:/data`]);
      expect(node.environment.NODE_ENV).toBe('production');
      expect(node.environment.DATABASE_URL).toMatch(/^postgres:\/\/portvakt:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/portvakt$/);
      expect(node.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(node.environment.PORTVAKT_SECRET).toMatch(/^\$\{PORTVAKT_SECRET:\?/);
      expect(node.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(node.command[0]).toBe('start');
      // Longer than the drain, so the engine's SIGKILL never cuts it short.
      expect(Number.parseInt(node.stop_grace_period, 10)).toBeGreaterThan(Number(node.environment.SHUTDOWN_GRACE_SECONDS));
    }
  });

  it('trusts forwarded headers from HAProxy alone, at its fixed address in the network', () => {
    const address = services.haproxy.networks.portvakt.ipv4_address;
    expect(services['portvakt-1'].environment.TRUST_PROXY).toBe(address);
    expect(compose.networks.portvakt.ipam.config[0].subnet).toBe('172.28.0.0/24');
    expect(address.startsWith('172.28.0.')).toBe(true);
  });

  it('checks PostgreSQL and Redis before the nodes start, and mounts the HAProxy configuration', () => {
    expect(services.postgres.healthcheck.test).toEqual(['CMD', 'pg_isready', '-U', 'portvakt', '-d', 'portvakt']);
    expect(services.redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(services.haproxy.volumes[0]).toBe('./ops/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    expect(services.haproxy.volumes[1]).toMatch(/:\/etc\/haproxy\/id\.example\.com\.pem:ro$/);
  });
});

describe('ops/haproxy/haproxy.cfg', () => {
  const config = read('ops/haproxy/haproxy.cfg');

  it("has every setting of the README's HAProxy configuration but its example servers", () => {
    const readme = read('README.md');
    const block = readme.slice(readme.indexOf('```\nglobal'), readme.indexOf('```', readme.indexOf('```\nglobal') + 3));
    const settings = (text: string) => text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#') && !line.startsWith('```'));
    const ours = settings(config);
    const theirs = settings(block).filter((line) => !line.startsWith('server '));
    expect(theirs.length).toBeGreaterThan(20);
    // The compose servers' defaults add a DNS lookup to the README's.
    expect(theirs.filter((line) => !ours.includes(line))).toEqual(['default-server inter 500ms fall 1 rise 2 slowstart 10s']);
    expect(ours).toContain('default-server inter 500ms fall 1 rise 2 slowstart 10s resolvers docker init-addr last,libc,none');
    expect(ours.filter((line) => line.startsWith('server '))).toEqual(['server node1 portvakt-1:3000 check', 'server node2 portvakt-2:3000 check']);
  });

  it("passes HAProxy's own configuration check", () => {
    const dir = mkdtempSync(join(tmpdir(), 'portvakt-haproxy-'));
    try {
      const pem = join(dir, 'id.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=id.example.com', '-days', '1', '-keyout', pem, '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      writeFileSync(pem, readFileSync(pem, 'utf8') + readFileSync(join(dir, 'cert.pem'), 'utf8'));
      const file = join(dir, 'haproxy.cfg');
      writeFileSync(file, config.replace('/etc/haproxy/id.example.com.pem', pem));
      const check = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
      if (check.error) throw new Error("HAProxy is not installed (apt-get install -y haproxy)");
      expect(check.stdout + check.stderr).toContain('Configuration file is valid');
      expect(check.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The image's last stage as the Dockerfile lays it out, in a temporary directory instead of an
 * engine: what `.dockerignore` lets in, `npm ci --omit=dev --ignore-scripts` (offline, from npm's
 * cache, which `npm ci` of the project filled), the code read only, and the server run as an
 * unprivileged user with the image's settings, writing only its data directory.
 */
describe("the image's contents, laid out without an engine", () => {
  it('serve from the production install as an unprivileged user on a read-only tree, pass the health check, and exit 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portvakt-image-'));
    onTestFinished(() => {
      execFileSync('chmod', ['-R', 'u+w', dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    const app = join(dir, 'app');
    for (const path of ['package.json', 'package-lock.json', 'bin', 'src']) cpSync(join(ROOT, path), join(app, path), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
    const install = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: app, encoding: 'utf8' });
    if (install.status !== 0) throw new Error(`npm ci --omit=dev --offline failed (is npm's cache filled? run npm ci in the project first): ${install.stderr.slice(-500)}`);
    // Neither the pinned Node (a devDependency) nor the test tools are in it.
    expect(existsSync(join(app, 'node_modules/node'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/better-sqlite3'))).toBe(true);

    // Node 24 as the base image has it, outside the read-only tree; the data directory the only writable place.
    const node = join(dir, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    const data = join(dir, 'data');
    mkdirSync(data);
    execFileSync('chmod', ['-R', 'a-w', app]);
    chmodSync(dir, 0o755);
    const root = process.getuid?.() === 0;
    if (root) execFileSync('chown', ['nobody', data]);
    const port = String(await freePort());
    const env = { PATH: process.env.PATH!, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: port, PORTVAKT_DATA_DIR: data, ISSUER: 'https://id.example.com', PORTVAKT_SECRET: 'image-check-secret-that-is-long-enough-0123', SMTP_URL: 'smtp://127.0.0.1:9', TRUST_PROXY: '127.0.0.1', SHUTDOWN_GRACE_SECONDS: '1', LOG_LEVEL: 'silent' };
    // As root (here), the user is dropped as the image's USER does; anyone else is unprivileged already.
    const command = [...(root ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : []), node, 'src/cli.ts', 'start'];
    const server = spawn(command[0]!, command.slice(1), { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    onTestFinished(() => {
      if (server.exitCode === null) server.kill('SIGKILL');
    });

    for (const deadline = Date.now() + 30_000; (await healthCheck(port)) !== 0; await new Promise((resolve) => setTimeout(resolve, 200))) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not become ready: ${stderr}`);
    }
    expect((await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).status).toBe(200);
    expect(readdirSync(data)).toContain('portvakt.db');

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});
