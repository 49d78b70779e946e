import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_PAGE_SIZE } from '../../src/console/webhooks.routes.ts';
import { consoleTeam, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** Every attempt fails at once while the receiver is down: each event is a dead letter after one try. */
const FAST_DEATH = { OUTBOX_POLL_MS: '100', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_RETRY_MAX_MS: '200', WEBHOOK_MAX_ATTEMPTS: '1' };
const SECRET = /<code id="webhook-secret">([^<]+)<\/code>/;

/** Webhooks in the administrator's console, over HTTP, on both dialects: the secret once, the delivery log, dead letters, redelivery. */
describe.each(DIALECTS)('console webhooks on %s', (dialect) => {
  let server: RunningPortvakt;
  let receiver: WebhookReceiver;
  let admin: ConsoleOperator;
  let agent: ConsoleOperator;
  let privacy: ConsoleOperator;

  beforeAll(async () => {
    [server, receiver] = await Promise.all([startPortvakt(dialect, FAST_DEATH), WebhookReceiver.start()]);
    ({ admin, agent, privacy } = await consoleTeam(server));
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  const hooks = async () => (await server.api('GET', '/webhooks')).body.webhooks as Array<{ id: string; url: string; event_types: string[]; description: string | null }>;
  const deliveries = async (id: string, query = '') => (await server.api('GET', `/webhooks/${id}/deliveries?limit=500${query}`)).body.deliveries as Array<{ id: string; status: string }>;
  const auditCount = async () => Number((await server.portvakt.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const until = async (check: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 15_000; !(await check()); await new Promise((resolve) => setTimeout(resolve, 100))) expect(Date.now()).toBeLessThan(deadline);
  };

  it('adds a subscription and shows its signing secret once: events arrive signed with it, and it is never shown again', async () => {
    expect((await admin.page('/console/webhooks')).html).toContain('No webhook subscriptions yet.');
    const created = await admin.post('/console/webhooks/new', { url: receiver.url, event_types: 'customer.created, customer.updated', description: 'CRM' });
    expect(created.status, created.html.slice(0, 1500)).toBe(201);
    const secret = SECRET.exec(created.html)![1]!;
    expect(secret).toMatch(/^whsec_/);
    const [hook] = await hooks();
    expect(hook).toMatchObject({ url: receiver.url, event_types: ['customer.created', 'customer.updated'], description: 'CRM' });
    receiver.secret = secret;
    await server.api('POST', '/customers', { email: 'signed@example.se' });
    const [arrived] = await receiver.waitFor(1);
    expect(arrived!.signatureValid).toBe(true);
    for (const path of ['/console/webhooks', `/console/webhooks/${hook!.id}`, `/console/webhooks/${hook!.id}?status=dead`, `/console/webhooks/${hook!.id}?lang=sv`]) {
      const later = await admin.page(path);
      expect(later.status, path).toBe(200);
      expect(later.html).not.toContain(secret);
    }
    await admin.page('/console/webhooks?lang=en');
    await until(async () => (await admin.page(`/console/webhooks/${hook!.id}`)).html.includes('>delivered<'));
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select('details').execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(6));
  });

  it('shows the delivery log a page at a time, the dead letters, and sends one or all of them again', async () => {
    const created = await admin.post('/console/webhooks/new', { url: receiver.url, event_types: 'customer.created' });
    const id = (await hooks()).find((hook) => !hook.description)!.id;
    receiver.secret = SECRET.exec(created.html)![1]!;
    receiver.down = true;
    for (let index = 0; index < DELIVERY_PAGE_SIZE + 2; index++) await server.api('POST', '/customers', { email: `dead${index}@example.se` });
    await until(async () => (await deliveries(id, '&status=dead')).length === DELIVERY_PAGE_SIZE + 2);

    const first = await admin.page(`/console/webhooks/${id}?status=dead`);
    const rowsOf = (html: string) => [...html.matchAll(/name="delivery" value="(dlv_[^"]+)"/g)].map((match) => match[1]!);
    expect(rowsOf(first.html)).toHaveLength(DELIVERY_PAGE_SIZE);
    expect(first.html).toContain('dead letter');
    expect(first.html).toContain('receiver answered HTTP 503');
    const next = /href="\/console\/webhooks\/whk_[^"?]+\?status=dead&amp;before=(dlv_[^"]+)"/.exec(first.html)![1]!;
    const second = await admin.page(`/console/webhooks/${id}?status=dead&before=${next}`);
    expect(rowsOf(second.html)).toHaveLength(2);
    expect(second.html).toContain('First page');
    expect(rowsOf(second.html).some((delivery) => rowsOf(first.html).includes(delivery))).toBe(false);
    expect([...rowsOf(first.html), ...rowsOf(second.html)]).toEqual((await deliveries(id, '&status=dead')).map((delivery) => delivery.id));

    receiver.down = false;
    const one = rowsOf(second.html)[1]!;
    const sent = await admin.post(`/console/webhooks/${id}/redeliver`, { delivery: one, view: 'dead' }, `/console/webhooks/${id}`);
    expect(sent.status).toBe(303);
    expect(sent.location).toBe(`/console/webhooks/${id}?status=dead&done=redelivered`);
    await until(async () => (await deliveries(id, '&status=delivered')).some((delivery) => delivery.id === one));
    expect((await admin.page(`/console/webhooks/${id}?status=dead&done=redelivered`)).html).toContain('The delivery is being sent again.');

    const all = await admin.post(`/console/webhooks/${id}/redeliver-dead`, {}, `/console/webhooks/${id}`);
    expect(all.status).toBe(303);
    expect(all.location).toBe(`/console/webhooks/${id}?done=redelivered_dead&count=${DELIVERY_PAGE_SIZE + 1}`);
    expect((await admin.page(all.location!)).html).toContain(`${DELIVERY_PAGE_SIZE + 1} dead letter(s) are being sent again.`);
    await until(async () => (await deliveries(id, '&status=delivered')).length === DELIVERY_PAGE_SIZE + 2);
    const empty = await admin.page(`/console/webhooks/${id}?status=dead&lang=sv`);
    expect(empty.html).toContain('Inga döda brev');
    expect(empty.html).not.toContain('/redeliver-dead');
    await admin.page('/console/webhooks?lang=en');
  });

  it('removes a subscription', async () => {
    const id = (await hooks()).find((hook) => !hook.description)!.id;
    const removed = await admin.post(`/console/webhooks/${id}/delete`, {}, `/console/webhooks/${id}`);
    expect(removed.status).toBe(303);
    expect(removed.location).toBe('/console/webhooks?done=deleted');
    expect((await hooks()).some((hook) => hook.id === id)).toBe(false);
    expect((await admin.page(`/console/webhooks/${id}`)).status).toBe(404);
  });

  it('refuses bad input with the field errors in English and Swedish, 400, and writes nothing', async () => {
    const before = JSON.stringify(await hooks());
    const audit = await auditCount();
    const bad = await admin.post('/console/webhooks/new', { url: 'ftp://crm.example.se/hooks', event_types: 'Customer Created' });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="field-url-error">Type a full address/);
    expect(bad.html).toMatch(/id="field-event_types-error">Event types such as customer.updated/);
    expect(bad.html).toContain('value="ftp://crm.example.se/hooks"');
    await admin.page('/console/webhooks?lang=sv');
    const empty = await admin.post('/console/webhooks/new', { url: '', event_types: '' });
    expect(empty.status).toBe(400);
    expect(empty.html).toMatch(/id="field-url-error">Fyll i fältet/);
    expect(empty.html).toMatch(/id="field-event_types-error">(Fyll i fältet|Händelsetyper)/);
    await admin.page('/console/webhooks?lang=en');
    expect(JSON.stringify(await hooks())).toBe(before);
    expect(await auditCount()).toBe(audit);
  });

  it('walls the pages and posts off from customer service and the privacy officer as the API does, and refuses a post without its CSRF token', async () => {
    const { id } = (await hooks())[0]!;
    const [delivery] = await deliveries(id);
    for (const path of ['/console/webhooks', '/console/webhooks/new', `/console/webhooks/${id}`, `/console/webhooks/${id}?status=dead`]) {
      expect((await admin.page(path)).status, path).toBe(200);
      for (const other of [agent, privacy]) expect((await other.page(path)).status, path).toBe(403);
    }
    for (const role of ['agent', 'privacy_officer']) {
      const key = (await server.api('POST', '/api-keys', { name: role, role })).body.key;
      for (const [method, path] of [['GET', '/webhooks'], ['POST', '/webhooks'], ['GET', `/webhooks/${id}/deliveries`], ['DELETE', `/webhooks/${id}`], ['POST', `/webhooks/${id}/dead-letters/redeliver`], ['POST', `/webhooks/${id}/deliveries/${delivery!.id}/redeliver`]]) {
        const answer = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'POST' ? { body: '{}' } : {}) });
        expect(answer.status, `${role} ${method} ${path}`).toBe(403);
      }
    }
    const before = JSON.stringify(await hooks());
    const audit = await auditCount();
    const posts: Array<[string, Record<string, string>]> = [
      ['/console/webhooks/new', { url: 'https://evil.example/hook', event_types: '*' }],
      [`/console/webhooks/${id}/redeliver`, { delivery: delivery!.id }],
      [`/console/webhooks/${id}/redeliver-dead`, {}],
      [`/console/webhooks/${id}/delete`, {}],
    ];
    for (const [path, fields] of posts) {
      for (const other of [agent, privacy]) expect((await other.post(path, fields, '/console')).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, fields)).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, { ...fields, csrf: 'A'.repeat(43) })).status, path).toBe(403);
    }
    expect(JSON.stringify(await hooks())).toBe(before);
    expect(await auditCount()).toBe(audit);
  });
});
