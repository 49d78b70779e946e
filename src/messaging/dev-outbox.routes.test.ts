import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/test-store.ts';
import { installErrorHandling } from '../http/error-handler.ts';
import type { Store } from '../store/database.ts';
import { DevOutbox } from './dev-outbox.ts';
import { devOutboxRoutes } from './dev-outbox.routes.ts';

describe('/dev/outbox', () => {
  let store: Store;
  let close: () => Promise<void>;
  const app = Fastify();

  beforeAll(async () => {
    ({ store, close } = await openTestStore('sqlite'));
    const outbox = new DevOutbox(store.db);
    await outbox.send({ to: 'a@example.se', subject: 'Code', text: 'Your code: 123456', html: '' });
    installErrorHandling(app);
    devOutboxRoutes(app, outbox);
  });
  afterAll(async () => {
    await app.close();
    await close();
  });

  it('shows the messages to this machine only, whatever X-Forwarded-For says', async () => {
    const local = await app.inject({ method: 'GET', url: '/dev/outbox?to=a@example.se', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(200);
    expect(local.json().messages[0]).toMatchObject({ to: 'a@example.se', body: 'Your code: 123456' });
    const remote = await app.inject({ method: 'GET', url: '/dev/outbox', remoteAddress: '203.0.113.9', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(remote.statusCode).toBe(404);
    expect(remote.body).not.toContain('123456');
  });
});
