import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CustomerCounts, referencesIn } from '../../src/customers/customer-counts.ts';
import { retentionEnds } from '../../src/privacy/retention.ts';
import { untilRequest } from '../support/privacy-request-wait.ts';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { waitForMessage } from '../support/dev-outbox.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';
import { SystemDouble } from '../support/system-double.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

type Task = { id: string; system: string; state: string; mode: string; reference: string | null; identifiers?: Record<string, string> | null; attempts: number; receipt: Record<string, unknown> | null };
type Request = { id: string; state: string; tasks: Task[]; due_at: number; overdue: boolean; extension_reason: string | null };

const BOOKKEEPING = { rule: 'bookkeeping', description: 'Bokföringslagen 7 kap. 2 §: 7 years after the fiscal year ends', years: 7 };

/**
 * One erasure request reaches every system on the data map: a CRM and a web shop called over the
 * contract (the shop fails twice first), an e-mail list that confirms later on a signed callback,
 * accounting under a bookkeeping hold (asked to restrict, erased when the hold ends) and a support
 * desk done by hand. It ends with a report, the customer gone and their address suppressed.
 */
describe.each(DIALECTS)('privacy requests across the data map on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  let crm: SystemDouble;
  let newsletter: SystemDouble;
  let shop: SystemDouble;
  let accounting: SystemDouble;
  let hooks: WebhookReceiver;

  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const request = async (id: string) => (await api<Request>('GET', `/privacy-requests/${id}`)).body;
  const until = (id: string, done: (request: Request) => boolean, timeoutMs?: number) => untilRequest<Request>(server, id, done, timeoutMs);
  const taskOf = (current: Request, system: string) => current.tasks.find((task) => task.system === system && task.state !== 'scheduled')!;

  beforeAll(async () => {
    [{ server, rp }, crm, newsletter, shop, accounting, hooks] = await Promise.all([
      startWithShop(dialect, { OUTBOX_POLL_MS: '100', PRIVACY_RETRY_BASE_MS: '100', PRIVACY_RETRY_MAX_MS: '400', PRIVACY_MAX_ATTEMPTS: '4' }),
      SystemDouble.start({ kind: 'api' }),
      SystemDouble.start({ kind: 'callback', delayMs: 500 }),
      SystemDouble.start({ kind: 'api', failFirst: 2 }),
      SystemDouble.start({ kind: 'restrict', until: '2034-01-01' }),
      WebhookReceiver.start(),
    ]);
    hooks.secret = (await api('POST', '/webhooks', { url: hooks.url, event_types: ['customer.erased', 'privacy.request.received', 'privacy.request.completed_with_exceptions'] })).body.secret;
    const systems = [
      { double: crm, body: { key: 'crm', name: 'CRM', categories: ['contact', 'support_conversations'], legal_basis: 'contract', access: 'api', endpoint: crm.endpoint } },
      { double: newsletter, body: { key: 'newsletter', name: 'E-mail list', categories: ['contact', 'behaviour'], legal_basis: 'consent', access: 'callback', endpoint: newsletter.endpoint } },
      { double: shop, body: { key: 'webshop', name: 'Web shop', categories: ['contact', 'purchase_history'], legal_basis: 'contract', access: 'api', endpoint: shop.endpoint } },
      { double: accounting, body: { key: 'accounting', name: 'Accounting', categories: ['purchase_history', 'payment'], legal_basis: 'legal_obligation', access: 'api', endpoint: accounting.endpoint, retention: BOOKKEEPING } },
    ];
    for (const { double, body } of systems) {
      const created = await api('POST', '/systems', body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      double.secret = created.body.secret;
    }
    const offerTexts = { title: 'Offers', description: 'Offers by e-mail.', legal_text: 'Until you withdraw.' };
    expect((await api('POST', '/consent-purposes', { key: 'offers', texts: { sv: offerTexts, en: offerTexts } })).status).toBe(201);
    const support = await api('POST', '/systems', { key: 'support', name: 'Support desk', categories: ['support_conversations'], legal_basis: 'legitimate_interests', access: 'manual', checklist: ['Find the tickets by e-mail', 'Delete them and their attachments'], identified_by: ['email'] });
    expect(support.status).toBe(201);
    expect(support.body.secret).toBeUndefined();
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), crm?.close(), newsletter?.close(), shop?.close(), accounting?.close(), hooks?.close()]);
  });

  async function customerWithReferences(email: string) {
    const who = { email, password: `a passphrase for ${email}` };
    const id = (await api('POST', '/customers', who)).body.id as string;
    for (const [system, reference] of [['crm', `CRM-${email}`], ['newsletter', `NL-${email}`], ['webshop', `WS-${email}`], ['accounting', `ACC-${email}`]]) {
      expect((await api('PUT', `/customers/${id}/references/${system}`, { reference })).status).toBe(200);
    }
    return { who, id };
  }

  it('shows which systems hold which categories, for one customer with their references and for all', async () => {
    const { id } = await customerWithReferences('mapped@example.se');
    const one = (await api('GET', `/data-map?customer_id=${id}`)).body;
    expect(one.systems.map((entry: { system: string; reference: string | null }) => [entry.system, entry.reference])).toEqual([
      ['portvakt', id],
      ['accounting', 'ACC-mapped@example.se'],
      ['crm', 'CRM-mapped@example.se'],
      ['newsletter', 'NL-mapped@example.se'],
      ['support', null],
      ['webshop', 'WS-mapped@example.se'],
    ]);
    expect(one.systems.find((entry: { system: string }) => entry.system === 'accounting')).toMatchObject({ categories: ['purchase_history', 'payment'], legal_basis: 'legal_obligation', retention: { rule: 'bookkeeping', years: 7 } });
    const all = (await api('GET', '/data-map')).body;
    expect(all.systems.find((entry: { system: string }) => entry.system === 'crm').customer_count).toBeGreaterThanOrEqual(1);
    // Another customer cannot take the same reference in one system.
    const other = (await api('POST', '/customers', { email: 'other-ref@example.se' })).body.id;
    expect((await api('PUT', `/customers/${other}/references/crm`, { reference: 'CRM-mapped@example.se' })).body).toMatchObject({ error: 'reference_taken' });
  });

  it('takes references only into systems on the map, keeps a system with references on it, and lists older references elsewhere as unmapped', async () => {
    const { id } = await customerWithReferences('only-mapped@example.se');
    for (const system of ['pos_till', 'portvakt']) {
      const refused = await api('PUT', `/customers/${id}/references/${system}`, { reference: 'T-1' });
      expect(refused.status, system).toBe(409);
      expect(refused.body).toMatchObject({ error: 'unknown_system' });
    }
    expect((await api('GET', `/customers/${id}/references`)).body.references.map((reference: { system: string }) => reference.system)).toEqual(['accounting', 'crm', 'newsletter', 'webshop']);
    const removal = await api('DELETE', '/systems/webshop');
    expect(removal.status).toBe(409);
    expect(removal.body).toMatchObject({ error: 'system_has_references' });
    expect((await api('GET', '/systems/webshop')).status).toBe(200);
    // A reference set before references were limited (into a system never mapped): listed, not lost.
    const before = (await api('POST', '/customers', { email: 'legacy-ref@example.se' })).body.id as string;
    await server.portvakt.store.db.transaction().execute(async (trx) => {
      await trx.insertInto('customer_references').values({ customer_id: before, system: 'legacy_till', reference: 'LT-1', created_at: Date.now() }).execute();
      await CustomerCounts.change(trx, referencesIn('legacy_till'), 1);
    });
    expect((await api('GET', `/data-map?customer_id=${before}`)).body.unmapped).toEqual([{ system: 'legacy_till', reference: 'LT-1' }]);
    expect((await api('GET', `/data-map?customer_id=${id}`)).body.unmapped).toEqual([]);
    expect((await api('GET', '/data-map')).body.unmapped).toEqual([{ system: 'legacy_till', customer_count: 1 }]);
    // Removed, it is no longer listed.
    expect((await api('DELETE', `/customers/${before}/references/legacy_till`)).status).toBe(204);
    expect((await api('GET', '/data-map')).body.unmapped).toEqual([]);
  });

  it('erases everywhere: one signed request per system with its reference, accounting restricted until its hold ends, the manual task confirmed, a report of all', async () => {
    const { who, id } = await customerWithReferences('forget-me@example.se');
    expect((await api('POST', `/customers/${id}/consents`, { purpose: 'offers', version: 1, decision: 'granted', channel: 'store', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
    // The customer asks on /account/privacy, right after signing in.
    const browser = new CookieAgent();
    expect(await browser.authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    const privacyPage = await (await browser.follow(`${server.url}/account/privacy`, server.url)).response.text();
    expect((await browser.postForm(`${server.url}/account/privacy/erasure`, { csrf: csrfOf(privacyPage), confirm: 'yes' })).status).toBe(202);
    const [asked] = (await api('GET', `/privacy-requests?customer_id=${id}`)).body.requests;
    const created = await api<Request>('GET', `/privacy-requests/${asked.id}`);
    expect(created.body).toMatchObject({ source: 'customer', kind: 'erasure' });
    expect(created.body.tasks.map((task) => [task.system, task.mode])).toEqual(
      expect.arrayContaining([['portvakt', 'delete'], ['crm', 'delete'], ['newsletter', 'delete'], ['webshop', 'delete'], ['accounting', 'restrict'], ['support', 'delete']]),
    );
    const requestId = created.body.id;

    const waiting = await until(requestId, (current) => ['portvakt', 'crm', 'newsletter', 'webshop', 'accounting'].every((system) => taskOf(current, system).state === 'done'));
    expect(waiting.state).toBe('in_progress');
    expect(taskOf(waiting, 'support').state).toBe('waiting_operator');
    // The support desk keys customers by e-mail address: its operator is told the address, even with Portvakt's part done.
    expect(taskOf(waiting, 'support')).toMatchObject({ reference: null, identifiers: { email: 'forget-me@example.se' } });
    expect(taskOf(waiting, 'webshop').attempts).toBe(2);

    for (const [double, reference] of [[crm, 'CRM-forget-me@example.se'], [newsletter, 'NL-forget-me@example.se'], [shop, 'WS-forget-me@example.se'], [accounting, 'ACC-forget-me@example.se']] as const) {
      const mine = double.calls.filter((call) => call.body.request_id === requestId);
      expect(mine.every((call) => call.signatureValid && call.path === '/gdpr/erasure' && call.body.customer_reference === reference)).toBe(true);
      // One request per system: retries repeat it exactly (same message id, same body).
      expect(new Set(mine.map((call) => JSON.stringify([call.messageId, call.body]))).size).toBe(1);
    }
    expect(shop.calls.filter((call) => call.body.request_id === requestId)).toHaveLength(3);
    const accountingCall = accounting.calls.find((call) => call.body.request_id === requestId)!;
    expect(accountingCall.body).toMatchObject({ mode: 'restrict', retention: { rule: 'bookkeeping' } });
    expect(newsletter.calls.find((call) => call.body.request_id === requestId)!.body.callback_url).toMatch(/\/privacy\/callbacks\/ptk_/);
    const finalErasure = waiting.tasks.find((task) => task.system === 'accounting' && task.state === 'scheduled')!;
    expect(finalErasure.mode).toBe('delete');

    const support = taskOf(waiting, 'support');
    const confirmed = await api<Request>('POST', `/privacy-requests/${requestId}/tasks/${support.id}/confirm`, { confirmed_by: 'Agent Anna', deleted: ['support_conversations'], retained: [], note: 'Three tickets deleted' });
    expect(confirmed.status).toBe(200);
    const done = await until(requestId, (current) => current.state !== 'in_progress');
    expect(done.state).toBe('completed_with_exceptions');

    const report = (await api('GET', `/privacy-requests/${requestId}/report`)).body;
    expect(report.systems.map((entry: { system: string }) => entry.system).sort()).toEqual(['accounting', 'crm', 'newsletter', 'portvakt', 'support', 'webshop']);
    expect(report.systems.find((entry: { system: string }) => entry.system === 'accounting')).toMatchObject({ mode: 'restrict', retained: [{ category: 'purchase_history', until: '2034-01-01' }, { category: 'payment', until: '2034-01-01' }] });
    expect(report.systems.find((entry: { system: string }) => entry.system === 'support')).toMatchObject({ confirmed_by: 'Agent Anna', deleted: ['support_conversations'] });
    const ruleEnds = retentionEnds({ years: 7, fiscal_year_end: '12-31' }, Date.now());
    expect(report.scheduled).toEqual([{ system: 'accounting', mode: 'delete', at: new Date(Math.max(ruleEnds, Date.parse('2034-01-01T00:00:00Z'))).toISOString() }]);
    const verify = (await api('GET', '/audit/verify')).body;
    expect(verify.ok).toBe(true);
    expect(report.audit.seq).toBeLessThanOrEqual(verify.entries);

    // Downstream systems hear of it as it happens: received, the customer erased, completed.
    for (let i = 0; i < 100 && hooks.received.filter((hook) => hook.data.customer_id === id).length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const mine = hooks.received.filter((hook) => hook.data.customer_id === id);
    expect(mine.map((hook) => hook.type)).toEqual(['privacy.request.received', 'customer.erased', 'privacy.request.completed_with_exceptions']);
    expect(mine.every((hook) => hook.signatureValid && (hook.data.request_id === requestId))).toBe(true);

    // The day the hold ends, accounting is asked to delete: the same request id, mode delete.
    await sql`update privacy_tasks set next_attempt_at = ${Date.now() - 1000} where id = ${finalErasure.id}`.execute(server.portvakt.store.db);
    await until(requestId, (current) => current.tasks.find((task) => task.id === finalErasure.id)!.state === 'done');
    const final = accounting.calls.filter((call) => call.body.request_id === requestId).at(-1)!;
    expect(final.body).toMatchObject({ mode: 'delete', customer_reference: 'ACC-forget-me@example.se', retention: null });
    expect(final.signatureValid).toBe(true);

    // Gone from Portvakt: no profile, no sign-in, and the address cannot be imported again.
    expect((await api('GET', `/customers/${id}`)).status).toBe(404);
    const agent = new CookieAgent();
    const page = await agent.follow(await rp.authorizationUrl(), server.url);
    const signIn = await agent.postForm(`${page.url}/password`, { csrf: /name="csrf" value="([^"]+)"/.exec(await page.response.text())![1]!, ...who });
    expect(signIn.status).toBe(401);
    const reimport = await api('POST', '/customers', { email: who.email });
    expect(reimport).toMatchObject({ status: 409, body: { error: 'erased_customer' } });
    const someoneElse = (await api('POST', '/customers', { email: 'someone-else@example.se' })).body.id;
    expect((await api('PATCH', `/customers/${someoneElse}`, { email: who.email })).body).toMatchObject({ error: 'erased_customer' });
    // No longer in any audience: the standing grant was withdrawn with the erasure.
    expect((await api('GET', '/consent-purposes/offers/customers')).body.customers).not.toContain(id);
    expect((await api('GET', '/consent-purposes/offers/customers?state=withdrawn')).body.customers).toContain(id);
    const consentsLeft = await sql<{ n: number }>`select count(*) as n from consent_records where customer_id = ${id} and ip_hash is not null`.execute(server.portvakt.store.db);
    expect(Number(consentsLeft.rows[0]!.n)).toBe(0);
    for (const [table, column] of [['session_devices', 'account_id'], ['customer_references', 'customer_id'], ['credentials', 'customer_id'], ['customer_emails', 'customer_id'], ['oidc_artifacts', 'account_id']] as const) {
      const left = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} = ${id}`.execute(server.portvakt.store.db);
      expect(Number(left.rows[0]!.n), table).toBe(0);
    }
  });

  it('refuses forged, stale, misdirected and replayed callbacks, changing nothing, and takes the genuine one once', async () => {
    const holding = await SystemDouble.start({ kind: 'callback', delayMs: 0, hold: true });
    try {
      holding.secret = (await api('POST', '/systems', { key: 'slow-list', name: 'Slow list', categories: ['contact'], legal_basis: 'consent', access: 'callback', endpoint: holding.endpoint, identified_by: ['email'] })).body.secret;
      const { id } = await customerWithReferences('callback@example.se');
      const requestId = (await api<Request>('POST', '/privacy-requests', { customer_id: id, kind: 'erasure', verification: 'ID checked in store' })).body.id;
      // Everything but the slow list and the support desk finishes; the slow list waits for its callback.
      const waiting = await until(requestId, (current) => taskOf(current, 'slow-list').state === 'waiting_callback' && taskOf(current, 'portvakt').state === 'done');
      const task = taskOf(waiting, 'slow-list');
      const url = holding.calls.find((call) => call.body.request_id === requestId)!.body.callback_url!;
      const receipt = { request_id: requestId, status: 'completed', deleted: ['contact'], retained: [] };

      expect(await holding.callBack(url, receipt, { secret: 'whsec_' + Buffer.alloc(32, 7).toString('base64') })).toBe(401);
      expect(await holding.callBack(url, receipt, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).toBe(401);
      expect(await holding.callBack(url, { ...receipt, request_id: 'prq_00000000-0000-4000-8000-000000000000' })).toBe(400);
      expect(await holding.callBack(url.replace(task.id, 'ptk_00000000-0000-4000-8000-000000000000'), receipt)).toBe(404);
      expect(await holding.callBack(url, { ...receipt, status: 'accepted' })).toBe(400);
      expect(taskOf(await request(requestId), 'slow-list')).toMatchObject({ state: 'waiting_callback', receipt: null });

      expect(await holding.callBack(url, receipt, { messageId: 'msg_for_another_task' })).toBe(401);
      expect(taskOf(await request(requestId), 'slow-list')).toMatchObject({ state: 'waiting_callback', receipt: null });

      expect(await holding.callBack(url, receipt)).toBe(204);
      expect(taskOf(await request(requestId), 'slow-list')).toMatchObject({ state: 'done', receipt: { deleted: ['contact'] } });
      expect(await holding.callBack(url, { ...receipt, deleted: [] })).toBe(409);
      expect(taskOf(await request(requestId), 'slow-list').receipt).toMatchObject({ deleted: ['contact'] });
    } finally {
      expect((await api('DELETE', '/systems/slow-list')).status).toBe(204);
      await holding.close();
    }
  });

  it('gives up on a system after the last attempt (the request fails), and an operator retry finishes it', async () => {
    const broken = await SystemDouble.start({ kind: 'api', failFirst: 1000 });
    try {
      broken.secret = (await api('POST', '/systems', { key: 'broken', name: 'Broken', categories: ['contact'], legal_basis: 'contract', access: 'api', endpoint: broken.endpoint, identified_by: ['email'] })).body.secret;
      const { id } = await customerWithReferences('dead-task@example.se');
      const created = (await api<Request>('POST', '/privacy-requests', { customer_id: id, kind: 'erasure', verification: 'ID checked in store' })).body;
      const support = taskOf(created, 'support');
      await api('POST', `/privacy-requests/${created.id}/tasks/${support.id}/confirm`, { confirmed_by: 'Agent Anna', deleted: [], retained: [] });
      const failed = await until(created.id, (current) => current.state === 'failed');
      const dead = taskOf(failed, 'broken');
      expect(dead).toMatchObject({ state: 'dead', attempts: 4, last_error: 'the system answered HTTP 500' });
      expect(broken.calls).toHaveLength(4);
      expect((await api('GET', `/privacy-requests/${created.id}/report`)).body.systems.find((entry: { system: string }) => entry.system === 'broken')).toMatchObject({ state: 'dead' });

      broken.heal();
      expect((await api<Request>('POST', `/privacy-requests/${created.id}/tasks/${dead.id}/retry`)).body.state).toBe('in_progress');
      expect((await until(created.id, (current) => current.state !== 'in_progress')).state).toBe('completed_with_exceptions');
      expect((await api('POST', `/privacy-requests/${created.id}/tasks/${dead.id}/retry`)).body).toMatchObject({ error: 'not_dead' });
    } finally {
      expect((await api('DELETE', '/systems/broken')).status).toBe(204);
      await broken.close();
    }
  });

  it('takes one of two requests made at the same moment, and refuses the other with 409', async () => {
    const { id } = await customerWithReferences('twice@example.se');
    const answers = await Promise.all([api('POST', '/privacy-requests', { customer_id: id, kind: 'export' }), api('POST', '/privacy-requests', { customer_id: id, kind: 'export' })]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    expect(answers.find((answer) => answer.status === 409)!.body.error).toBe('request_open');
  });

  it('sends the final erasure to a callback system under a legal hold when the hold ends, and takes its callback', async () => {
    const loyalty = await SystemDouble.start({ kind: 'callback', delayMs: 50 });
    try {
      loyalty.secret = (await api('POST', '/systems', { key: 'loyalty', name: 'Loyalty', categories: ['purchase_history'], legal_basis: 'legal_obligation', access: 'callback', endpoint: loyalty.endpoint, retention: BOOKKEEPING, identified_by: ['email'] })).body.secret;
      const { id } = await customerWithReferences('loyal@example.se');
      const created = (await api<Request>('POST', '/privacy-requests', { customer_id: id, kind: 'erasure', verification: 'ID checked in store' })).body;
      const restricted = await until(created.id, (current) => taskOf(current, 'loyalty').state === 'done' && current.tasks.some((task) => task.system === 'loyalty' && task.state === 'scheduled'));
      const final = restricted.tasks.find((task) => task.system === 'loyalty' && task.state === 'scheduled')!;
      await sql`update privacy_tasks set next_attempt_at = ${Date.now() - 1000} where id = ${final.id}`.execute(server.portvakt.store.db);
      await until(created.id, (current) => current.tasks.find((task) => task.id === final.id)!.state === 'done');
      expect(loyalty.calls.map((call) => call.body.mode)).toEqual(['restrict', 'delete']);
      // The task is done once Portvakt took the callback; the double records the answer a moment later.
      await vi.waitFor(() => expect(loyalty.callbacks.map((callback) => callback.status)).toEqual([204, 204]), { timeout: 5_000 });
    } finally {
      expect((await api('DELETE', '/systems/loyalty')).status).toBe(204);
      await loyalty.close();
    }
  });

  it('publishes the system contract as OpenAPI', async () => {
    const contract = await (await fetch(`${server.url}/privacy/system-contract.json`)).json();
    expect(Object.keys(contract.paths)).toEqual(['/erasure', '/export']);
    expect(contract.paths['/erasure'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('request_id');
    expect(contract.paths['/erasure'].post.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  });

  it('lists open requests past their due date in the overdue view; extends once with a reason', async () => {
    const { id } = await customerWithReferences('late@example.se');
    const created = (await api<Request>('POST', '/privacy-requests', { customer_id: id, kind: 'export' })).body;
    expect(created.state).toBe('received');
    expect(created.due_at - Math.floor(Date.now() / 1000)).toBeGreaterThan(27 * 86400);
    expect((await api('GET', '/privacy-requests?overdue=true')).body.requests.map((entry: { id: string }) => entry.id)).not.toContain(created.id);
    await sql`update privacy_requests set due_at = ${Date.now() - 1000} where id = ${created.id}`.execute(server.portvakt.store.db);
    const overdue = (await api('GET', '/privacy-requests?overdue=true')).body.requests;
    expect(overdue.find((entry: { id: string }) => entry.id === created.id)).toMatchObject({ overdue: true, state: 'received' });

    const extended = await api<Request>('POST', `/privacy-requests/${created.id}/extend`, { months: 2, reason: 'Records in three archives must be searched by hand' });
    expect(extended.body).toMatchObject({ overdue: false, extension_reason: 'Records in three archives must be searched by hand' });
    expect((await api('POST', `/privacy-requests/${created.id}/extend`, { months: 1, reason: 'And once more, please' })).body).toMatchObject({ error: 'already_extended' });
    expect((await api('POST', '/privacy-requests', { customer_id: id, kind: 'export' })).body).toMatchObject({ error: 'request_open' });
  });

  it('exports on the customer\'s request from /account/privacy: one archive of Portvakt and every system, by a link that works once', async () => {
    const { who, id } = await customerWithReferences('export-me@example.se');
    const agent = new CookieAgent();
    expect(await agent.authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    const page = await agent.follow(`${server.url}/account/privacy`, server.url);
    const html = await page.response.text();
    for (const name of ['CRM', 'E-mail list', 'Web shop', 'Accounting', 'Support desk']) expect(html).toContain(name);
    expect(html).toContain('Bokföringslagen 7 kap. 2 §');
    // In plain words, with the customer's number in each system, in English and Swedish: never a category's key.
    expect(html).toContain('Your customer number there: CRM-export-me@example.se');
    expect(html).toContain('what you have bought');
    expect(html).not.toMatch(/purchase_history|purchase history|external_references/);
    const swedish = await (await agent.request(`${server.url}/account/privacy`, { headers: { 'accept-language': 'sv' } })).text();
    expect(swedish).toContain('Ditt kundnummer där: CRM-export-me@example.se');
    expect(swedish).toContain('vad du har köpt');
    const asked = await agent.postForm(`${server.url}/account/privacy/export`, { csrf: csrfOf(html) });
    expect(asked.headers.get('location')).toBe('/account/privacy?done=export');

    const requestId = (await api('GET', `/privacy-requests?customer_id=${id}`)).body.requests[0].id as string;
    const done = await until(requestId, (current) => ['portvakt', 'crm', 'newsletter', 'webshop', 'accounting'].every((system) => taskOf(current, system).state === 'done'));
    expect(done).toMatchObject({ state: 'in_progress' });
    // The support desk exports by hand: the operator confirms, and the archive is made.
    await api('POST', `/privacy-requests/${requestId}/tasks/${taskOf(done, 'support').id}/confirm`, { confirmed_by: 'Agent Anna', deleted: [], retained: [], note: 'No tickets found' });
    expect((await until(requestId, (current) => current.state !== 'in_progress')).state).toBe('completed');
    expect(JSON.stringify((await request(requestId)).tasks)).not.toContain('order-1');
    expect(accounting.calls.find((call) => call.body.request_id === requestId)!.body).toMatchObject({ mode: 'export', type: 'export' });

    const mail = await waitForMessage(server.url, who.email);
    const link = /https?:\/\/\S+\/account\/privacy\/export\/[A-Za-z0-9_-]{43}/.exec(mail.body)![0]!;
    expect((await new CookieAgent().request(link)).status).toBe(303);
    const download = await agent.request(link);
    expect(download.status).toBe(200);
    const archive = await download.json();
    expect(archive).toMatchObject({ format: 'portvakt-export/1', request_id: requestId, customer_id: id });
    expect(archive.systems.portvakt.data).toMatchObject({ profile: { id, email: who.email }, external_references: expect.arrayContaining([expect.objectContaining({ system: 'crm', reference: 'CRM-export-me@example.se' })]) });
    expect(archive.systems.crm.data).toMatchObject({ reference: 'CRM-export-me@example.se', orders: [{ id: 'order-1' }] });
    expect(Object.keys(archive.systems).sort()).toEqual(['accounting', 'crm', 'newsletter', 'portvakt', 'webshop']);
    expect(archive.not_included).toEqual([{ system: 'support', reason: 'the system reported no data to export' }]);
    expect(JSON.stringify(archive)).not.toMatch(/argon2|password_hash/i);
    expect((await agent.request(link)).status).toBe(410);
    expect((await api('GET', `/customers/${id}`)).status).toBe(200);
  });

  it('erases on the customer\'s request from /account/privacy after a fresh sign-in, and signs them out', async () => {
    const { who, id } = await customerWithReferences('self-erase@example.se');
    const agent = new CookieAgent();
    expect(await agent.authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    const html = await (await agent.follow(`${server.url}/account/privacy`, server.url)).response.text();
    const unticked = await agent.postForm(`${server.url}/account/privacy/erasure`, { csrf: csrfOf(html) });
    expect(unticked.status).toBe(400);
    // A sign-in older than ten minutes is asked again first.
    await sql`update oidc_artifacts set payload = replace(payload, '"loginTs":', '"loginTs":1,"oldLoginTs":') where model = 'Session' and account_id = ${id}`.execute(server.portvakt.store.db);
    const stale = await agent.postForm(`${server.url}/account/privacy/erasure`, { csrf: csrfOf(html), confirm: 'yes' });
    expect(stale.headers.get('location')).toBe('/account/login?return=/account/privacy&fresh=1');
    expect((await api('GET', `/privacy-requests?customer_id=${id}`)).body.requests).toEqual([]);

    const again = new CookieAgent();
    expect(await again.authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/\/callback\?code=/);
    const fresh = await (await again.follow(`${server.url}/account/privacy`, server.url)).response.text();
    const erased = await again.postForm(`${server.url}/account/privacy/erasure`, { csrf: csrfOf(fresh), confirm: 'yes' });
    expect(erased.status).toBe(202);
    const [created] = (await api('GET', `/privacy-requests?customer_id=${id}`)).body.requests;
    expect(created).toMatchObject({ kind: 'erasure', source: 'customer', verification: expect.stringMatching(/^signed in again at .* with pwd$/) });
    await until(created.id, (current) => taskOf(current, 'portvakt').state === 'done');
    expect((await again.follow(`${server.url}/account/privacy`, server.url)).url).toMatch(/\/auth\?|\/login\//);
  });

  it('refuses bad input with a 4xx and writes nothing', async () => {
    const count = async () => Number((await sql<{ n: number }>`select (select count(*) from data_systems) + (select count(*) from privacy_requests) as n`.execute(server.portvakt.store.db)).rows[0]!.n);
    const before = await count();
    for (const body of [
      { key: 'portvakt', name: 'Me', categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['x'] },
      { key: 'nocheck', name: 'No checklist', categories: ['contact'], legal_basis: 'contract', access: 'manual' },
      { key: 'noendpoint', name: 'No endpoint', categories: ['contact'], legal_basis: 'contract', access: 'api' },
      { key: 'badbasis', name: 'Bad basis', categories: ['contact'], legal_basis: 'because', access: 'manual', checklist: ['x'] },
      { key: 'crm', name: 'Twice', categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['x'] },
      { key: 'BAD KEY', name: 'x', categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['x'] },
      { key: 'ret', name: 'x', categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: ['x'], retention: { rule: 'bookkeeping', description: 'x', years: 0 } },
    ]) {
      const answer = await api('POST', '/systems', body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
    for (const body of [{ customer_id: '00000000-0000-4000-8000-000000000000', kind: 'erasure' }, { customer_id: 'nope', kind: 'erasure' }, { kind: 'erasure' }, { customer_id: '00000000-0000-4000-8000-000000000000', kind: 'forget' }]) {
      const answer = await api('POST', '/privacy-requests', body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
    expect((await api('PATCH', '/systems/crm', { access: 'manual' })).body).toMatchObject({ error: 'validation_failed' });
    expect((await api('DELETE', '/systems/portvakt')).status).toBe(409);
    expect(await count()).toBe(before);
  });
});
