import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { ADMIN_KEY } from '../support/portvakt-server.ts';
import { startProcess } from '../support/portvakt-process.ts';
import { SystemDouble } from '../support/system-double.ts';

async function waitUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(DIALECTS)('a server killed during a fan-out on %s', (dialect) => {
  it('completes the request after a restart, and no system got two different requests', { timeout: 90_000 }, async () => {
    const [database, crm, shop, newsletter] = await Promise.all([
      createTestDatabase(dialect),
      // The CRM takes its time: the kill lands while its request is in flight.
      SystemDouble.start({ kind: 'api', answerAfterMs: 1500 }),
      SystemDouble.start({ kind: 'api', failFirst: 1 }),
      SystemDouble.start({ kind: 'callback', delayMs: 300 }),
    ]);
    const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-crash-'));
    const env = {
      DATABASE_URL: database.url,
      PORTVAKT_DATA_DIR: dataDir,
      PORTVAKT_SECRET: 'crash-test-secret-0123456789abcdefghij',
      PORTVAKT_ADMIN_KEY: ADMIN_KEY,
      OUTBOX_POLL_MS: '100',
      PRIVACY_RETRY_BASE_MS: '100',
      PRIVACY_RETRY_MAX_MS: '200',
      PRIVACY_TIMEOUT_MS: '3000',
      // The e-mail list's callback lands while the server is down; it is asked again after this.
      PRIVACY_CALLBACK_WAIT_MS: '2000',
    };
    const port = await freePort();
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((response) => response.json());
    let child = await startProcess(env, port);
    try {
      for (const [key, double, access] of [['crm', crm, 'api'], ['webshop', shop, 'api'], ['newsletter', newsletter, 'callback']] as const) {
        double.secret = (await api('POST', '/systems', { key, name: key, categories: ['contact'], legal_basis: 'contract', access, endpoint: double.endpoint })).secret;
      }
      const customer = await api('POST', '/customers', { email: 'crash-erase@example.se' });
      for (const system of ['crm', 'webshop', 'newsletter']) await api('PUT', `/customers/${customer.id}/references/${system}`, { reference: `${system}-1` });
      const request = await api('POST', '/privacy-requests', { customer_id: customer.id, kind: 'erasure', verification: 'ID checked in store' });

      await waitUntil(async () => crm.calls.length, (count) => count >= 1, 'the CRM call');
      const killed = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await killed;

      child = await startProcess(env, port);
      const done = await waitUntil(() => api('GET', `/privacy-requests/${request.id}`), (current) => current.state !== 'in_progress', 'completion after the restart', 60_000);
      expect(done.state).toBe('completed');
      expect(done.tasks.map((task: { system: string; state: string }) => [task.system, task.state]).sort()).toEqual([
        ['crm', 'done'],
        ['newsletter', 'done'],
        ['portvakt', 'done'],
        ['webshop', 'done'],
      ]);
      for (const double of [crm, shop, newsletter]) {
        expect(double.calls.length).toBeGreaterThanOrEqual(1);
        expect(double.calls.every((call) => call.signatureValid)).toBe(true);
        // Repeats after the crash (or a failure) are the very same request: same id, same body.
        expect(new Set(double.calls.map((call) => JSON.stringify([call.messageId, call.body]))).size).toBe(1);
      }
      expect((await api('GET', `/customers/${customer.id}`)).error).toBe('not_found');
      expect((await api('GET', '/audit/verify')).ok).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await Promise.all([crm.close(), shop.close(), newsletter.close()]);
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
