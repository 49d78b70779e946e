import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const FAST_RETRIES = { OUTBOX_POLL_MS: '100', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_RETRY_MAX_MS: '400' };

describe.each(DIALECTS)('signed webhooks on %s', (dialect) => {
  let server: RunningPortvakt;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    [server, receiver] = await Promise.all([startPortvakt(dialect, FAST_RETRIES), WebhookReceiver.start()]);
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('delivers customer events in order, signed with the secret shown once, and keeps them while the receiver is down', async () => {
    const created = await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['customer.created', 'customer.updated'] });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    receiver.secret = created.body.secret;
    expect((await server.api('GET', '/webhooks')).body.webhooks[0]).not.toHaveProperty('secret');

    const customer = (await server.api('POST', '/customers', { email: 'hooked@example.se' })).body;
    await server.api('PATCH', `/customers/${customer.id}`, { given_name: 'One' });
    const first = await receiver.waitFor(2);
    expect(first.map((hook) => [hook.type, hook.data.customer_id, hook.signatureValid])).toEqual([
      ['customer.created', customer.id, true],
      ['customer.updated', customer.id, true],
    ]);
    expect(first[1]!.data).toMatchObject({ fields: ['given_name'] });

    receiver.down = true;
    for (const name of ['Two', 'Three', 'Four']) await server.api('PATCH', `/customers/${customer.id}`, { given_name: name });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const waiting = (await server.api('GET', `/webhooks/${created.body.id}/deliveries?status=pending`)).body.deliveries;
    expect(waiting).toHaveLength(3);
    expect(Math.max(...waiting.map((delivery: { attempts: number }) => delivery.attempts))).toBeGreaterThanOrEqual(2);
    receiver.down = false;
    const all = await receiver.waitFor(5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received.slice(2).map((hook) => hook.data.customer_id)).toEqual([customer.id, customer.id, customer.id]);
    expect(new Set(receiver.received.map((hook) => hook.id)).size).toBe(receiver.received.length);
    expect(all.every((hook) => hook.signatureValid)).toBe(true);
    expect((await server.api('GET', `/webhooks/${created.body.id}/deliveries?status=delivered`)).body.deliveries).toHaveLength(5);
    // In order: the events arrive in the order the changes committed.
    const rows = await server.portvakt.store.db.selectFrom('webhook_deliveries').select(['event_id', 'seq']).execute();
    const order = new Map(rows.map((row) => [row.event_id, Number(row.seq)]));
    const sequence = receiver.received.map((hook) => order.get(hook.id)!);
    expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    expect(new Set(sequence).size).toBe(5);
  });
});

describe('dead letters and redelivery', () => {
  it('marks a delivery dead after its last attempt, lists it, and sends it again on request', async () => {
    const [server, receiver] = await Promise.all([startPortvakt('sqlite', { ...FAST_RETRIES, WEBHOOK_MAX_ATTEMPTS: '2' }), WebhookReceiver.start()]);
    try {
      const subscription = (await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['*'] })).body;
      receiver.secret = subscription.secret;
      receiver.down = true;
      await server.api('POST', '/customers', { email: 'dead-letter@example.se' });
      let dead: Array<{ id: string; status: string; last_error: string }> = [];
      for (const deadline = Date.now() + 10_000; dead.length === 0 && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
        dead = (await server.api('GET', `/webhooks/${subscription.id}/deliveries?status=dead`)).body.deliveries;
      }
      expect(dead[0]).toMatchObject({ status: 'dead', last_error: 'receiver answered HTTP 503' });
      receiver.down = false;
      expect((await server.api('POST', `/webhooks/${subscription.id}/deliveries/${dead[0]!.id}/redeliver`)).status).toBe(202);
      const [arrived] = await receiver.waitFor(1);
      expect(arrived).toMatchObject({ type: 'customer.created', signatureValid: true });
      expect((await server.api('POST', `/webhooks/${subscription.id}/deliveries/dlv_00000000-0000-0000-0000-000000000000/redeliver`)).status).toBe(404);
      expect((await server.api('POST', '/webhooks', { url: 'ftp://example.se', event_types: ['customer.created'] })).status).toBe(400);
      expect((await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['Not An Event'] })).status).toBe(400);
    } finally {
      await server.stop();
      await receiver.close();
    }
  });
});

describe.each(DIALECTS)('the delivery log of a subscription on %s', (dialect) => {
  it('pages through dead letters with a cursor and redelivers them all at once, in order per customer', async () => {
    const [server, receiver] = await Promise.all([startPortvakt(dialect, { ...FAST_RETRIES, WEBHOOK_MAX_ATTEMPTS: '1' }), WebhookReceiver.start()]);
    try {
      const subscription = (await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['customer.created', 'customer.updated'] })).body;
      const other = (await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['customer.deleted'] })).body;
      receiver.secret = subscription.secret;
      receiver.down = true;
      // One customer's events: they must arrive in the order they happened, redelivered or not.
      const customer = (await server.api('POST', '/customers', { email: 'log@example.se' })).body.id;
      for (const name of ['Ett', 'Två', 'Tre', 'Fyra']) await server.api('PATCH', `/customers/${customer}`, { given_name: name });
      const dead = async (query = '') => (await server.api('GET', `/webhooks/${subscription.id}/deliveries?status=dead${query}`)).body;
      for (const deadline = Date.now() + 10_000; (await dead()).deliveries.length < 5; await new Promise((resolve) => setTimeout(resolve, 100))) {
        expect(Date.now()).toBeLessThan(deadline);
      }

      // Three pages of two, newest first, each continuing where the last ended.
      const pages: Array<{ deliveries: Array<{ id: string }>; next: string | null }> = [await dead('&limit=2')];
      while (pages.at(-1)!.next) pages.push(await dead(`&limit=2&before=${pages.at(-1)!.next}`));
      expect(pages.map((page) => page.deliveries.length)).toEqual([2, 2, 1]);
      const paged = pages.flatMap((page) => page.deliveries.map((delivery) => delivery.id));
      expect(paged).toEqual((await dead('&limit=500')).deliveries.map((delivery: { id: string }) => delivery.id));
      const rows = await server.portvakt.store.db.selectFrom('webhook_deliveries').select(['id', 'seq', 'event_id']).where('subscription_id', '=', subscription.id).execute();
      rows.sort((a, b) => Number(b.seq) - Number(a.seq));
      expect(paged).toEqual(rows.map((row) => row.id));
      expect((await dead('&limit=500')).next).toBeNull();
      // A cursor names a delivery of this subscription.
      expect(await server.api('GET', `/webhooks/${other.id}/deliveries?before=${paged[0]}`)).toMatchObject({ status: 400, body: { error: 'invalid_cursor' } });
      expect((await server.api('GET', `/webhooks/${subscription.id}/deliveries?before=dlv_00000000-0000-0000-0000-000000000000`)).status).toBe(400);
      expect((await server.api('GET', `/webhooks/${subscription.id}/deliveries?before=not-a-cursor`)).status).toBe(400);

      receiver.down = false;
      const redelivered = await server.api('POST', `/webhooks/${subscription.id}/dead-letters/redeliver`);
      expect(redelivered).toMatchObject({ status: 202, body: { redelivered: 5 } });
      const arrived = await receiver.waitFor(5);
      expect(arrived.map((hook) => hook.id)).toEqual(rows.map((row) => row.event_id).reverse());
      expect(arrived.map((hook) => [hook.type, hook.data.customer_id, hook.signatureValid])).toEqual([
        ['customer.created', customer, true],
        ...Array.from({ length: 4 }, () => ['customer.updated', customer, true]),
      ]);
      expect((await dead()).deliveries).toEqual([]);
      expect((await server.api('POST', `/webhooks/${subscription.id}/dead-letters/redeliver`)).body).toEqual({ redelivered: 0 });
      expect((await server.api('POST', '/webhooks/whk_00000000-0000-0000-0000-000000000000/dead-letters/redeliver')).status).toBe(404);
      // An integration redelivers only its own subscriptions' dead letters.
      const integration = (await server.api('POST', '/api-keys', { name: 'CRM', role: 'integration', systems: ['crm'] })).body.key;
      const foreign = await fetch(`${server.url}/api/v1/webhooks/${subscription.id}/dead-letters/redeliver`, { method: 'POST', headers: { authorization: `Bearer ${integration}` } });
      expect(foreign.status).toBe(404);
    } finally {
      await server.stop();
      await receiver.close();
    }
  });
});
