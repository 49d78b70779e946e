import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { untilRequest } from '../support/privacy-request-wait.ts';
import { DIALECTS } from '../support/databases.ts';
import { ADMIN_KEY, startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { SystemDouble } from '../support/system-double.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

type Task = { id: string; system: string; state: string; attempts: number; reference: string | null; identifiers: Record<string, string> | null; last_error: string | null };
type Request = { id: string; state: string; tasks: Task[] };

/**
 * Every system is told who the customer is, or the report says it was not: a newsletter keyed by
 * e-mail address gets the address; a loyalty system keyed by its own reference, for a customer
 * with none there, is never called, its task is `not_identified`, the request ends with
 * exceptions and the report says so (never "deleted"). What waits on a person (a manual task, a
 * dead one, a system not told, an overdue request) is published as a webhook and as a metric.
 */
describe.each(DIALECTS)('telling each system who the customer is on %s', (dialect) => {
  let server: RunningPortvakt;
  let newsletter: SystemDouble;
  let loyalty: SystemDouble;
  let broken: SystemDouble;
  let hooks: WebhookReceiver;

  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const request = async (id: string) => (await api<Request>('GET', `/privacy-requests/${id}`)).body;
  const taskOf = (current: Request, system: string) => current.tasks.find((task) => task.system === system)!;
  const until = (id: string, done: (request: Request) => boolean, timeoutMs?: number) => untilRequest<Request>(server, id, done, timeoutMs);
  const hooksFor = (requestId: string) => hooks.received.filter((hook) => hook.data.request_id === requestId);
  async function system(key: string, double: SystemDouble, identifiedBy?: string[]) {
    const created = await api('POST', '/systems', { key, name: key, categories: ['contact', 'loyalty'], legal_basis: 'contract', access: 'api', endpoint: double.endpoint, ...(identifiedBy ? { identified_by: identifiedBy } : {}) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    double.secret = created.body.secret;
    return created.body;
  }
  const erase = async (customerId: string) => (await api<Request>('POST', '/privacy-requests', { customer_id: customerId, kind: 'erasure', verification: 'ID checked in store' })).body;

  beforeAll(async () => {
    [server, newsletter, loyalty, broken, hooks] = await Promise.all([
      startPortvakt(dialect, { OUTBOX_POLL_MS: '100', PRIVACY_RETRY_BASE_MS: '100', PRIVACY_RETRY_MAX_MS: '200', PRIVACY_MAX_ATTEMPTS: '2' }),
      SystemDouble.start({ kind: 'api' }),
      SystemDouble.start({ kind: 'api' }),
      SystemDouble.start({ kind: 'api', failFirst: 1000 }),
      WebhookReceiver.start(),
    ]);
    const types = ['privacy.task.waiting', 'privacy.task.dead', 'privacy.task.not_identified', 'privacy.request.overdue', 'privacy.request.completed', 'privacy.request.completed_with_exceptions', 'privacy.request.failed'];
    hooks.secret = (await api('POST', '/webhooks', { url: hooks.url, event_types: types })).body.secret;
    expect((await system('newsletter', newsletter, ['email'])).identified_by).toEqual(['email']);
    // Declared as before this rule: by its own reference.
    expect((await system('loyalty', loyalty)).identified_by).toEqual(['reference']);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), newsletter?.close(), loyalty?.close(), broken?.close(), hooks?.close()]);
  });

  it('sends the e-mail address to a system keyed by it; a system that holds no identifier is not_identified, never called, and the report says so', async () => {
    const customer = (await api('POST', '/customers', { email: 'keyed@example.se', password: 'a passphrase for keyed' })).body.id as string;
    const created = await erase(customer);
    expect(taskOf(created, 'loyalty')).toMatchObject({ state: 'not_identified', reference: null, identifiers: null, last_error: expect.stringContaining('(reference)') });
    const open = taskOf(created, 'newsletter');
    expect(open.reference).toBeNull();
    // Shown while the task is open; the worker may already have finished it (and cleared them) by the time the answer is read.
    if (open.state !== 'done') expect(open.identifiers).toEqual({ email: 'keyed@example.se' });

    const done = await until(created.id, (current) => current.state !== 'in_progress');
    expect(done.state).toBe('completed_with_exceptions');
    const call = newsletter.calls.find((entry) => entry.body.request_id === created.id)!;
    expect(call.signatureValid).toBe(true);
    expect(call.body).toMatchObject({ customer_reference: null, identifiers: { email: 'keyed@example.se' }, mode: 'delete' });
    expect(loyalty.calls.filter((entry) => entry.body.request_id === created.id)).toEqual([]);
    // The address a system was told is not kept once its task is finished.
    expect(taskOf(done, 'newsletter').identifiers).toBeNull();
    const kept = await sql<{ n: number }>`select count(*) as n from privacy_tasks where identifiers like ${'%keyed@example.se%'}`.execute(server.portvakt.store.db);
    expect(Number(kept.rows[0]!.n)).toBe(0);

    const report = (await api('GET', `/privacy-requests/${created.id}/report`)).body;
    const entry = report.systems.find((system: { system: string }) => system.system === 'loyalty');
    expect(entry).toMatchObject({ state: 'not_identified', identified: false, deleted: [], retained: [], pseudonymized: [], completed_at: expect.any(String) });
    expect(report.systems.find((system: { system: string }) => system.system === 'newsletter')).toMatchObject({ state: 'done', identified: true, deleted: ['contact', 'loyalty'] });
    // Portvakt's own part is read from its table declarations: deleted, pseudonymized, and kept with the reason.
    const portvakt = report.systems.find((system: { system: string }) => system.system === 'portvakt');
    expect(portvakt.deleted).toEqual(expect.arrayContaining(['identity', 'contact', 'credentials', 'sessions']));
    expect(portvakt.pseudonymized).toContain('consents');
    expect(portvakt.retained).toEqual(expect.arrayContaining([expect.objectContaining({ category: 'audit', reason: expect.stringMatching(/^audit_log: /) })]));
    const page = await (await fetch(`${server.url}/api/v1/privacy-requests/${created.id}/report.html`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
    const row = /<tr data-system="loyalty">[^]*?<\/tr>/.exec(page)![0];
    expect(row).toContain('not identified: never told who the customer is, nothing done there');
    expect(row.split('<td>')[4]).toMatch(/^—/);

    await vi.waitFor(() => expect(hooksFor(created.id).map((hook) => hook.type)).toEqual(['privacy.task.not_identified', 'privacy.request.completed_with_exceptions']), { timeout: 10_000 });
    expect(hooksFor(created.id)[0]).toMatchObject({ signatureValid: true, data: { system: 'loyalty', task_id: taskOf(created, 'loyalty').id, state: 'not_identified', customer_id: customer } });
  });

  it('sends the reference to the system keyed by it when the customer has one, and several identifiers to a system keyed by several', async () => {
    const customer = (await api('POST', '/customers', { email: 'both@example.se', phone_number: '+46701234567' })).body.id as string;
    expect((await api('PUT', `/customers/${customer}/references/loyalty`, { reference: 'L-77' })).status).toBe(200);
    expect((await api('PATCH', '/systems/newsletter', { identified_by: ['email', 'phone', 'reference'] })).body.identified_by).toEqual(['email', 'phone', 'reference']);
    try {
      const created = await erase(customer);
      expect((await until(created.id, (current) => current.state !== 'in_progress')).state).toBe('completed');
      expect(loyalty.calls.find((entry) => entry.body.request_id === created.id)!.body).toMatchObject({ customer_reference: 'L-77', identifiers: { reference: 'L-77' } });
      expect(newsletter.calls.find((entry) => entry.body.request_id === created.id)!.body.identifiers).toEqual({ email: 'both@example.se', phone: '+46701234567' });
    } finally {
      await api('PATCH', '/systems/newsletter', { identified_by: ['email'] });
    }
  });

  it('publishes a manual task, a dead task and an overdue request as webhooks and as metrics', async () => {
    expect((await api('POST', '/systems', { key: 'desk', name: 'Support desk', categories: ['support_conversations'], legal_basis: 'legitimate_interests', access: 'manual', checklist: ['Find the tickets by e-mail'], identified_by: ['email'] })).status).toBe(201);
    const brokenSystem = await system('broken', broken, ['email']);
    expect(brokenSystem.key).toBe('broken');
    try {
      const customer = (await api('POST', '/customers', { email: 'waiting@example.se' })).body.id as string;
      const created = await erase(customer);
      // The operator sees who to look for.
      expect(taskOf(created, 'desk')).toMatchObject({ state: 'waiting_operator', identifiers: { email: 'waiting@example.se' } });
      const failed = await until(created.id, (current) => taskOf(current, 'broken').state === 'dead');
      expect(taskOf(failed, 'broken').attempts).toBe(2);
      await sql`update privacy_requests set due_at = ${Date.now() - 1000} where id = ${created.id}`.execute(server.portvakt.store.db);
      await vi.waitFor(() => expect(hooksFor(created.id).map((hook) => hook.type).sort()).toEqual(['privacy.request.overdue', 'privacy.task.dead', 'privacy.task.not_identified', 'privacy.task.waiting']), { timeout: 10_000 });
      const byType = new Map(hooksFor(created.id).map((hook) => [hook.type, hook]));
      expect(byType.get('privacy.task.waiting')!.data).toMatchObject({ system: 'desk', task_id: taskOf(created, 'desk').id });
      expect(byType.get('privacy.task.dead')!.data).toMatchObject({ system: 'broken', task_id: taskOf(created, 'broken').id });
      expect(byType.get('privacy.request.overdue')!.data).toMatchObject({ kind: 'erasure', customer_id: customer });

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(metrics)?.[1] ?? -1);
      expect(value('portvakt_privacy_tasks_waiting{state="waiting_operator"}')).toBe(1);
      expect(value('portvakt_privacy_tasks_waiting{state="dead"}')).toBe(1);
      expect(value('portvakt_privacy_tasks_waiting{state="not_identified"}')).toBeGreaterThanOrEqual(2);
      expect(value('portvakt_privacy_requests_overdue')).toBe(1);

      // Announced once per due date: later passes publish no second overdue event.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(hooksFor(created.id).filter((hook) => hook.type === 'privacy.request.overdue')).toHaveLength(1);

      // The operator confirms the desk; the request ends failed on its dead task, and nothing waits any more.
      const desk = taskOf(created, 'desk');
      expect((await api('POST', `/privacy-requests/${created.id}/tasks/${desk.id}/confirm`, { confirmed_by: 'Agent Anna', deleted: ['support_conversations'], retained: [] })).status).toBe(200);
      expect((await until(created.id, (current) => current.state !== 'in_progress')).state).toBe('failed');
      const after = await (await fetch(`${server.url}/metrics`)).text();
      expect(after).toMatch(/^portvakt_privacy_tasks_waiting\{state="waiting_operator"\} 0$/m);
      expect(after).toMatch(/^portvakt_privacy_requests_overdue 0$/m);
    } finally {
      broken.heal();
    }
  });

  it('publishes the callback contract, its signature rule included, in the system contract', async () => {
    const contract = await (await fetch(`${server.url}/privacy/system-contract.json`)).json();
    const erasure = contract.paths['/erasure'].post;
    expect(erasure.requestBody.content['application/json'].schema.properties).toHaveProperty('identifiers');
    const callback = erasure.callbacks.receipt['{$request.body#/callback_url}'].post;
    expect(callback.description).toContain('webhook-id must equal the id of the task');
    expect(callback.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(Object.keys(callback.responses)).toEqual(['204', '400', '401', '404', '409']);
    expect(contract['x-callback-signature']).toContain('five minutes');
  });

  it('refuses bad identified_by with a 4xx and writes nothing', async () => {
    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from data_systems`.execute(server.portvakt.store.db)).rows[0]!.n);
    const before = await count();
    for (const identifiedBy of [[], ['email', 'email'], ['ssn'], 'email', null]) {
      const answer = await api('POST', '/systems', { key: 'badid', name: 'x', categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['x'], identified_by: identifiedBy });
      expect(answer.status, JSON.stringify(identifiedBy)).toBe(400);
    }
    expect((await api('PATCH', '/systems/loyalty', { identified_by: ['phone', 'fax'] })).status).toBe(400);
    expect((await api('GET', '/systems/loyalty')).body.identified_by).toEqual(['reference']);
    expect(await count()).toBe(before);
  });
});
