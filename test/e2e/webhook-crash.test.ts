import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { ADMIN_KEY } from '../support/portvakt-server.ts';
import { startProcess } from '../support/portvakt-process.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

describe.each(DIALECTS)('a killed server on %s', (dialect) => {
  it('loses no event committed before kill -9: the next process delivers it, once', { timeout: 90_000 }, async () => {
    const [database, receiver] = await Promise.all([createTestDatabase(dialect), WebhookReceiver.start()]);
    const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-crash-'));
    const env = {
      DATABASE_URL: database.url,
      PORTVAKT_DATA_DIR: dataDir,
      PORTVAKT_SECRET: 'crash-test-secret-0123456789abcdefghij',
      PORTVAKT_ADMIN_KEY: ADMIN_KEY,
      OUTBOX_POLL_MS: '100',
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_RETRY_MAX_MS: '200',
      WEBHOOK_TIMEOUT_MS: '500',
    };
    // A kill during an attempt leaves its delivery claimed until the lease (timeout + 30 s) ends.
    const LEASE_MS = 500 + 30_000;
    const port = await freePort();
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((response) => response.json());
    let child = await startProcess(env, port);
    try {
      receiver.down = true;
      receiver.secret = (await api('POST', '/webhooks', { url: receiver.url, event_types: ['customer.created'] })).secret;
      const customer = await api('POST', '/customers', { email: 'crash@example.se' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const killed = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await killed;

      receiver.down = false;
      child = await startProcess(env, port);
      const [hook] = await receiver.waitFor(1, LEASE_MS + 15_000);
      expect(hook).toMatchObject({ type: 'customer.created', signatureValid: true, data: { customer_id: customer.id } });
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(receiver.received).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await receiver.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
