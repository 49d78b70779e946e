import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const OUTAGE_MS = 120_000;

describe.each(DIALECTS)('a receiver down for two minutes on %s', (dialect) => {
  let server: RunningPortvakt;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // Retries back off up to 10 s, so they keep trying through the outage without hammering (and
    // are far from their last attempt when it ends).
    [server, receiver] = await Promise.all([startPortvakt(dialect, { OUTBOX_POLL_MS: '200', WEBHOOK_RETRY_BASE_MS: '500', WEBHOOK_RETRY_MAX_MS: '10000', WEBHOOK_MAX_ATTEMPTS: '50' }), WebhookReceiver.start()]);
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('gets every event afterwards, in order per customer, none twice', { timeout: OUTAGE_MS + 90_000 }, async () => {
    receiver.secret = (await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['*'] })).body.secret;
    receiver.down = true;
    const customers: string[] = [];
    for (let i = 0; i < 3; i++) customers.push((await server.api('POST', '/customers', { email: `outage${i}@example.se` })).body.id);
    const started = Date.now();
    for (let round = 0; round < 4; round++) {
      for (const id of customers) {
        await server.api('PATCH', `/customers/${id}`, { given_name: `R${round}` });
      }
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 8));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - started))));
    expect(receiver.received).toHaveLength(0);
    receiver.down = false;

    const expected = customers.length * 5;
    await receiver.waitFor(expected, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.received).toHaveLength(expected);
    expect(new Set(receiver.received.map((hook) => hook.id)).size).toBe(expected);
    expect(receiver.received.every((hook) => hook.signatureValid)).toBe(true);
    // Per customer: created first, then the four updates, in the order they were made.
    const rows = await server.portvakt.store.db.selectFrom('events').select(['id', 'customer_id', 'occurred_at']).orderBy('occurred_at').execute();
    for (const id of customers) {
      const made = rows.filter((row) => row.customer_id === id).map((row) => row.id);
      const arrived = receiver.received.filter((hook) => hook.data.customer_id === id).map((hook) => hook.id);
      expect(arrived).toEqual(made);
      expect(receiver.received.find((hook) => hook.id === arrived[0])!.type).toBe('customer.created');
    }
  });
});
