import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPortvakt, type BuildOptions, type Portvakt } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createTestDatabase, type TestDatabase, type TestDialect } from './databases.ts';
import { freePort } from './free-port.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghij';

export interface RunningPortvakt {
  url: string;
  portvakt: Portvakt;
  database: TestDatabase;
  /** Management API call with the admin key; answers status and parsed JSON. */
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Stops the server and starts a new one on the same database, port and secret. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A real Portvakt on 127.0.0.1 with a fresh database of the given dialect. */
export interface StartOptions extends BuildOptions {
  /** Issuer https://localhost:port behind a (pretend) TLS proxy: requests must carry X-Forwarded-Proto. */
  httpsIssuer?: boolean;
}

export async function startPortvakt(dialect: TestDialect, env: Record<string, string> = {}, options: StartOptions = {}): Promise<RunningPortvakt> {
  const database = await createTestDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-data-'));
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: options.httpsIssuer ? url.replace('http:', 'https:') : url,
    ...(options.httpsIssuer ? { TRUST_PROXY: 'true' } : {}),
    DATABASE_URL: database.url,
    PORTVAKT_DATA_DIR: dataDir,
    PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789',
    PORTVAKT_ADMIN_KEY: ADMIN_KEY,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    ...env,
  });
  const listen = async () => {
    const instance = await buildPortvakt(config, options);
    await instance.app.listen({ port, host: '127.0.0.1' });
    return instance;
  };
  const running: RunningPortvakt = {
    url,
    portvakt: await listen(),
    database,
    async api(method, path, body) {
      const response = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async restart() {
      await running.portvakt.close();
      // Let clients notice their keep-alive sockets were closed, as they would across a real restart.
      await new Promise((resolve) => setTimeout(resolve, 200));
      running.portvakt = await listen();
    },
    async stop() {
      await running.portvakt.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return running;
}
