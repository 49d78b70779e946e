import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../../src/crypto/derived-keys.ts';
import { open } from '../../src/crypto/sealed-box.ts';
import { HASH_PURPOSES } from '../../src/crypto/secret-keys.ts';
import { SEALED_COLUMNS } from '../../src/ops/secret-rotation.ts';
import { openStore } from '../../src/store/database.ts';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS, createTestDatabase } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { startProcess } from '../support/portvakt-process.ts';
import { RelyingParty } from '../support/relying-party.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/portvakt');
const SECRET = 'backup-test-secret-long-enough-0123456789';
const ADMIN_KEY = 'backup-test-admin-key-0123456789abcdefgh';
const REDIRECT = 'http://127.0.0.1:9/callback';
const PASSWORD = 'a long enough passphrase';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'portvakt-backup-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** The CLI as a child process, without blocking this process (the load keeps running meanwhile). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(CLI, args, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

async function start(dataDir: string, env: Record<string, string> = {}, port?: number): Promise<{ url: string; node: ChildProcess; api: (method: string, path: string, body?: unknown) => Promise<Response> }> {
  port ??= await freePort();
  const url = `http://localhost:${port}`;
  const node = await startProcess({ PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET, PORTVAKT_ADMIN_KEY: ADMIN_KEY, ISSUER: url, ...env }, port);
  children.push(node);
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { url, node, api };
}

async function stopNode(node: ChildProcess): Promise<void> {
  if (node.exitCode !== null) return;
  const exited = new Promise((resolve) => node.once('exit', resolve));
  node.kill('SIGTERM');
  await exited;
}

describe('backup and restore on SQLite', () => {
  it('copies a running server under load: every customer acknowledged before the backup signs in after a restore on a new port, and old ID tokens verify', async () => {
    const dataDir = tempDir();
    const original = await start(dataDir);
    const client = (await (await original.api('POST', '/clients', { client_name: 'App', redirect_uris: [REDIRECT], first_party: true, token_endpoint_auth_method: 'none' })).json()) as { client_id: string };
    expect((await original.api('POST', '/customers', { email: 'first@example.se', password: PASSWORD })).status).toBe(201);
    const rp = await RelyingParty.discover(original.url, client.client_id, undefined, REDIRECT);
    const before = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), original.url, { email: 'first@example.se', password: PASSWORD }));

    // The load: sign-ups and token requests, one at a time each, until told to stop.
    const acknowledged: Array<{ email: string; at: number }> = [{ email: 'first@example.se', at: 0 }];
    const failures: string[] = [];
    let stop = false;
    const signUps = (async () => {
      for (let n = 0; !stop && n < 200; n++) {
        const email = `load${n}@example.se`;
        const answer = await original.api('POST', '/customers', { email, password: PASSWORD });
        if (answer.status === 201) acknowledged.push({ email, at: Date.now() });
        else failures.push(`sign-up ${answer.status}`);
      }
    })();
    let tokens = 0;
    const tokenRequests = (async () => {
      let refreshToken = before.refresh_token!;
      for (let n = 0; !stop && n < 400; n++) {
        const refreshed = await rp.refresh(refreshToken).catch((error: unknown) => failures.push(`refresh ${String(error)}`));
        if (typeof refreshed === 'number') break;
        refreshToken = refreshed.refresh_token!;
        tokens++;
      }
    })();
    while (acknowledged.length < 8) await new Promise((resolve) => setTimeout(resolve, 50));

    const backupDir = join(tempDir(), 'backup');
    const backupStarted = Date.now();
    const backup = await cli(['backup', '--to', backupDir], { PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET, ISSUER: original.url });
    const afterBackup = acknowledged.length;
    while (acknowledged.length < afterBackup + 3 && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    stop = true;
    await Promise.all([signUps, tokenRequests]);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(failures).toEqual([]);
    expect(tokens).toBeGreaterThan(0);

    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as Record<string, any>;
    expect(manifest).toMatchObject({ format: 'portvakt-backup/1', database: 'sqlite', file: 'portvakt.db', migration: expect.stringMatching(/^\d{4}-/), config: { issuer: original.url } });
    expect(manifest.secret_fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(readFileSync(join(backupDir, 'manifest.json'), 'utf8')).not.toContain(SECRET);

    const restoredDir = join(tempDir(), 'restored');
    const restored = await cli(['restore', '--from', backupDir], { PORTVAKT_DATA_DIR: restoredDir, PORTVAKT_SECRET: SECRET });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);

    const copy = await start(restoredDir);
    expect(copy.url).not.toBe(original.url);
    const jwks = createRemoteJWKSet(new URL(`${copy.url}/jwks`));
    await jwtVerify(before.id_token!, jwks, { issuer: original.url });
    const copyRp = await RelyingParty.discover(copy.url, client.client_id, undefined, REDIRECT);
    const due = acknowledged.filter((customer) => customer.at < backupStarted);
    expect(due.length).toBeGreaterThanOrEqual(8);
    for (const customer of due) {
      const signedIn = await copyRp.callback(await new CookieAgent().authorize(await copyRp.authorizationUrl(), copy.url, { email: customer.email, password: PASSWORD }));
      expect(signedIn.claims()!.email).toBe(customer.email);
    }
  });

  it('refuses a wrong secret with one line and a non-empty data directory, writing nothing', async () => {
    const dataDir = tempDir();
    expect((await cli(['migrate'], { PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET })).code).toBe(0);
    const backupDir = join(tempDir(), 'backup');
    expect((await cli(['backup', '--to', backupDir], { PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET })).code).toBe(0);

    const target = join(tempDir(), 'fresh');
    const wrong = await cli(['restore', '--from', backupDir], { PORTVAKT_DATA_DIR: target, PORTVAKT_SECRET: 'another-secret-long-enough-0123456789abc' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/^portvakt: PORTVAKT_SECRET does not match the backup/);
    expect(wrong.stdout).toBe('');
    expect(existsSync(target)).toBe(false);

    const busy = join(tempDir(), 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'portvakt.db'), 'someone else');
    const refused = await cli(['restore', '--from', backupDir], { PORTVAKT_DATA_DIR: busy, PORTVAKT_SECRET: SECRET });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/is not empty/);
    expect(readFileSync(join(busy, 'portvakt.db'), 'utf8')).toBe('someone else');

    const again = await cli(['backup', '--to', backupDir], { PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/is not empty/);
  });
});

describe('backup and restore on PostgreSQL', () => {
  it('dumps with pg_dump and restores with pg_restore into an empty database only, under the same secret only', async () => {
    const source = await createTestDatabase('postgres');
    const target = await createTestDatabase('postgres');
    try {
      const dataDir = tempDir();
      const node = await start(dataDir, { DATABASE_URL: source.url });
      const customer = (await (await node.api('POST', '/customers', { email: 'pg@example.se', password: PASSWORD })).json()) as { id: string };
      const backupDir = join(tempDir(), 'backup');
      const backup = await cli(['backup', '--to', backupDir], { DATABASE_URL: source.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET });
      await stopNode(node.node);
      expect(backup.stderr).toBe('');
      expect(JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'))).toMatchObject({ database: 'postgres', file: 'portvakt.pgdump', migration: expect.stringMatching(/^\d{4}-/) });

      const wrong = await cli(['restore', '--from', backupDir], { DATABASE_URL: target.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: NEW_SECRET });
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(wrong.stderr).toMatch(/PORTVAKT_SECRET does not match the backup/);

      const restored = await cli(['restore', '--from', backupDir], { DATABASE_URL: target.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET });
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      const store = openStore(target.config);
      try {
        expect(await store.db.selectFrom('customers').select('id').where('id', '=', customer.id).executeTakeFirst()).toEqual({ id: customer.id });
      } finally {
        await store.close();
      }
      const twice = await cli(['restore', '--from', backupDir], { DATABASE_URL: target.url, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: SECRET });
      expect(twice.code).not.toBe(0);
      expect(twice.stderr).toMatch(/has tables/);
    } finally {
      await source.drop();
      await target.drop();
    }
  });
});

const NEW_SECRET = 'rotated-secret-long-enough-0123456789abcdef';

describe.each(DIALECTS)('secret rotate on %s', (dialect) => {
  it('re-seals everything under load with no failed request: old tokens verify, the old secret opens nothing afterwards', async () => {
    const database = await createTestDatabase(dialect);
    try {
      const port = await freePort();
      const dataDir = tempDir();
      const env = { DATABASE_URL: database.url };
      // Before: every node on the old secret.
      let node = await start(dataDir, env, port);
      const client = (await (await node.api('POST', '/clients', { client_name: 'App', redirect_uris: [REDIRECT], first_party: true, token_endpoint_auth_method: 'none' })).json()) as { client_id: string };
      expect((await node.api('POST', '/customers', { email: 'first@example.se', password: PASSWORD })).status).toBe(201);
      expect((await node.api('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', event_types: ['customer.created'] })).status).toBe(201);
      const rp = await RelyingParty.discover(node.url, client.client_id, undefined, REDIRECT);
      const before = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), node.url, { email: 'first@example.se', password: PASSWORD }));
      // An erased customer's address is suppressed as an HMAC under a key derived from the secret.
      const erased = (await (await node.api('POST', '/customers', { email: 'erased@example.se', password: PASSWORD })).json()) as { id: string };
      expect((await node.api('POST', '/privacy-requests', { customer_id: erased.id, kind: 'erasure', verification: 'ID checked in store' })).status).toBe(201);
      for (let i = 0; i < 300 && (await node.api('GET', `/customers/${erased.id}`)).status !== 404; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const suppressed = async () => ((await (await node.api('POST', '/customers', { email: 'erased@example.se' })).json()) as { error?: string }).error;
      expect(await suppressed()).toBe('erased_customer');

      // The change: nodes run the new secret and still open with the old one.
      await stopNode(node.node);
      node = await start(dataDir, { ...env, PORTVAKT_SECRET: NEW_SECRET, PORTVAKT_PREVIOUS_SECRETS: SECRET }, port);
      expect(await suppressed()).toBe('erased_customer');
      const failures: string[] = [];
      let stop = false;
      let signUps = 0;
      let tokens = 0;
      const signingUp = (async () => {
        for (let n = 0; !stop && n < 200; n++) {
          const answer = await node.api('POST', '/customers', { email: `rotation${n}@example.se`, password: PASSWORD });
          if (answer.status === 201) signUps++;
          else failures.push(`sign-up ${answer.status}`);
        }
      })();
      let refreshToken = before.refresh_token!;
      const refreshing = (async () => {
        for (let n = 0; !stop && n < 400; n++) {
          const refreshed = await rp.refresh(refreshToken).catch((error: unknown) => failures.push(`refresh ${String(error)}`));
          if (typeof refreshed === 'number') break;
          refreshToken = refreshed.refresh_token!;
          tokens++;
        }
      })();
      while (signUps < 3 || tokens < 3) await new Promise((resolve) => setTimeout(resolve, 50));
      const rotated = await cli(['secret', 'rotate'], { ...env, PORTVAKT_DATA_DIR: dataDir, PORTVAKT_SECRET: NEW_SECRET, PORTVAKT_PREVIOUS_SECRETS: SECRET });
      const counted = signUps + tokens;
      while (signUps + tokens < counted + 6 && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      stop = true;
      await Promise.all([signingUp, refreshing]);
      expect(rotated.stderr).toBe('');
      expect(rotated.code).toBe(0);
      expect(failures).toEqual([]);
      const { resealed } = JSON.parse(rotated.stdout) as { resealed: Record<string, number> };
      expect(resealed['signing_keys.encrypted_jwk']).toBeGreaterThanOrEqual(2);
      expect(resealed['webhook_subscriptions.secret']).toBe(1);

      // After: the old secret leaves every node; tokens signed before still verify.
      await stopNode(node.node);
      node = await start(dataDir, { ...env, PORTVAKT_SECRET: NEW_SECRET }, port);
      expect(await suppressed()).toBe('erased_customer');
      await jwtVerify(before.id_token!, createRemoteJWKSet(new URL(`${node.url}/jwks`)), { issuer: node.url });
      expect((await rp.refresh(refreshToken)).access_token).toBeTruthy();
      const again = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), node.url, { email: 'rotation0@example.se', password: PASSWORD }));
      expect(again.claims()!.email).toBe('rotation0@example.se');

      const store = openStore(database.config);
      try {
        let sealedValues = 0;
        for (const sealed of SEALED_COLUMNS) {
          const rows = (await store.db.selectFrom(sealed.table).selectAll().execute()) as Array<Record<string, unknown>>;
          for (const row of rows) {
            const value = row[sealed.column];
            if (typeof value !== 'string' || !value.startsWith('v1.')) continue;
            const associatedData = sealed.associatedData(String(row[sealed.id]));
            expect(() => open(deriveKey(SECRET, sealed.purpose), value, associatedData)).toThrow(/PORTVAKT_SECRET/);
            expect(open(deriveKey(NEW_SECRET, sealed.purpose), value, associatedData)).toBeTruthy();
            sealedValues++;
          }
        }
        expect(sealedValues).toBeGreaterThanOrEqual(3);
        // The keys of stored HMACs stay what they were (derived from the old secret), now sealed under the new one only.
        const hashKeys = await store.db.selectFrom('hash_keys').selectAll().execute();
        expect(hashKeys.map((row) => row.purpose).sort()).toEqual([...HASH_PURPOSES].sort());
        for (const row of hashKeys) {
          expect(() => open(deriveKey(SECRET, 'hash-key-encryption'), row.sealed, `hash-key:${row.purpose}`)).toThrow(/PORTVAKT_SECRET/);
          expect(open(deriveKey(NEW_SECRET, 'hash-key-encryption'), row.sealed, `hash-key:${row.purpose}`)).toBe(deriveKey(SECRET, row.purpose as (typeof HASH_PURPOSES)[number]).toString('base64url'));
        }
      } finally {
        await store.close();
      }
      await stopNode(node.node);
    } finally {
      await database.drop();
    }
  });
});
