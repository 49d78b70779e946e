import { sql } from 'kysely';
import { CustomerCounts, referencesIn } from '../../src/customers/customer-counts.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleTranslator } from '../../src/i18n/console-locale.ts';
import { dataMapPage } from '../../src/pages/console/data-map.page.ts';
import { consoleTeam, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { SystemDouble } from '../support/system-double.ts';

type Task = { id: string; system: string; state: string; attempts: number; receipt: Record<string, unknown> | null };
type Request = { id: string; state: string; tasks: Task[]; verified_at: number | null; verification: string | null; extension_reason: string | null; due_at: number };

const DAY = 86_400_000;
const CHECKLIST = ['Find the tickets by e-mail', 'Delete them & their attachments'];

/**
 * The privacy officer's console pages over HTTP: data map, requests queue, a request with its
 * tasks (retry a dead one, confirm a manual one step by step), the evidence report, the audit
 * chain check and consent figures. Each runs its management operation as the signed-in operator:
 * the same role walls as `/api/v1`, CSRF on every post, refusals in the page's language.
 */
describe.each(DIALECTS)('console privacy pages on %s', (dialect) => {
  let server: RunningPortvakt;
  let broken: SystemDouble;
  let admin: ConsoleOperator;
  let agent: ConsoleOperator;
  let officer: ConsoleOperator;
  const ids: Record<string, string> = {};

  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const detail = async (id: string) => (await api<Request>('GET', `/privacy-requests/${id}`)).body;
  const task = (request: Request, system: string) => request.tasks.find((entry) => entry.system === system)!;
  async function until(id: string, done: (request: Request) => boolean): Promise<Request> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const current = await detail(id);
      if (done(current)) return current;
      if (Date.now() > deadline) throw new Error(`the request never got there: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const ask = async (name: string, kind: 'erasure' | 'export', verification?: string) => {
    const customer = (await api('POST', '/customers', { email: `${name}@example.se` })).body.id as string;
    const created = await api<Request>('POST', '/privacy-requests', { customer_id: customer, kind, ...(verification ? { verification } : {}) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    ids[name] = created.body.id;
    return created.body;
  };
  const dueIn = (name: string, ms: number) => sql`update privacy_requests set due_at = ${Date.now() + ms} where id = ${ids[name]!}`.execute(server.portvakt.store.db);
  const auditCount = async (action: string, actor?: string) =>
    (await server.portvakt.store.db.selectFrom('audit_log').select('actor_id').where('action', '=', action).execute()).filter((entry) => !actor || entry.actor_id === actor).length;

  beforeAll(async () => {
    [server, broken] = await Promise.all([
      startPortvakt(dialect, { OUTBOX_POLL_MS: '100', PRIVACY_RETRY_BASE_MS: '100', PRIVACY_RETRY_MAX_MS: '200', PRIVACY_MAX_ATTEMPTS: '2' }),
      SystemDouble.start({ kind: 'api', failFirst: 1000 }),
    ]);
    ({ admin, agent, privacy: officer } = await consoleTeam(server));
    expect((await api('POST', '/systems', { key: 'support', name: 'Support desk', categories: ['support_conversations', 'contact'], legal_basis: 'legitimate_interests', access: 'manual', checklist: CHECKLIST, identified_by: ['email'] })).status).toBe(201);
    broken.secret = (await api('POST', '/systems', { key: 'broken', name: 'Broken shop', categories: ['purchase_history'], legal_basis: 'contract', access: 'api', endpoint: broken.endpoint, identified_by: ['reference', 'email'] })).body.secret;
    await ask('busy', 'erasure', 'ID checked in store 12');
    await ask('late', 'export');
    await ask('later', 'export');
    await ask('fresh', 'export');
    await dueIn('late', -2 * DAY);
    await dueIn('later', -1 * DAY);
    await dueIn('fresh', 20 * DAY);
    await until(ids.busy!, (current) => task(current, 'broken').state === 'dead' && task(current, 'portvakt').state === 'done');
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), broken?.close()]);
  });

  it('admits admin and privacy officer to every page and post, and refuses customer service as the API does', async () => {
    const pages = ['/console/data-map', '/console/privacy', '/console/privacy?list=all', '/console/privacy?overdue=1', `/console/privacy/${ids.busy}`, '/console/consent-figures', '/console/audit', '/console/audit?check=1'];
    for (const path of pages) {
      expect((await admin.page(path)).status, path).toBe(200);
      expect((await officer.page(path)).status, path).toBe(200);
      expect((await agent.page(path)).status, path).toBe(403);
    }
    for (const path of [`/console/privacy/${ids.busy}/report`, `/console/privacy/${ids.busy}/report.json`]) expect((await agent.page(path)).status, path).toBe(403);
    // The posts: customer service is refused and nothing moves (the dead task stays dead).
    const dead = task(await detail(ids.busy!), 'broken');
    const support = task(await detail(ids.busy!), 'support');
    expect((await agent.post(`/console/privacy/${ids.busy}/retry`, { task: dead.id }, '/console')).status).toBe(403);
    expect((await agent.post(`/console/privacy/${ids.busy}/confirm`, { task: support.id, checklist: CHECKLIST, deleted: ['support_conversations', 'contact'] }, '/console')).status).toBe(403);
    // An administrator passes the wall (the operation then answers for itself): not 403, nothing written either.
    expect((await admin.post(`/console/privacy/${ids.busy}/retry`, { task: support.id }, `/console/privacy/${ids.busy}`)).status).toBe(409);
    expect((await admin.post(`/console/privacy/${ids.busy}/confirm`, { task: support.id, deleted: ['support_conversations', 'contact'] }, `/console/privacy/${ids.busy}`)).status).toBe(400);
    expect(task(await detail(ids.busy!), 'broken')).toMatchObject({ state: 'dead', attempts: dead.attempts });
    expect(task(await detail(ids.busy!), 'support').state).toBe('waiting_operator');
    // The menu and the overview show exactly what the roles admit.
    const home = (await officer.page('/console')).html;
    for (const href of ['/console/privacy', '/console/data-map', '/console/consent-figures', '/console/audit']) expect(home).toContain(`href="${href}"`);
    expect(home).toContain('Check that no entry of the audit log was altered or removed.');
    const agentHome = (await agent.page('/console')).html;
    for (const href of ['/console/privacy', '/console/data-map', '/console/consent-figures', '/console/audit']) expect(agentHome).not.toContain(`href="${href}"`);
  });

  it('lists every system on the data map with its categories, basis, retention, access and customer count', async () => {
    const holder = (await api('POST', '/customers', { email: 'holder@example.se' })).body.id;
    expect((await api('PUT', `/customers/${holder}/references/broken`, { reference: 'WS-1' })).status).toBe(200);
    const map = (await api('GET', '/data-map')).body.systems as Array<{ system: string; customer_count: number }>;
    const page = await officer.page('/console/data-map');
    expect(page.status).toBe(200);
    for (const entry of map) expect(page.html).toMatch(new RegExp(`data-system="${entry.system}"[\\s\\S]*?data-customer-count="${entry.customer_count}"`));
    expect(map.find((entry) => entry.system === 'broken')!.customer_count).toBe(1);
    expect(page.html).toContain('Legitimate interests');
    expect(page.html).toContain('By hand');
    expect(page.html).not.toContain('data-unmapped=');
    // How each system knows a customer (what its requests carry), in words.
    const brokenEntry = map.find((entry) => entry.system === 'broken') as { identified_by?: string[] } | undefined;
    expect(brokenEntry?.identified_by).toEqual(['reference', 'email']);
    expect(page.html).toMatch(/data-system="broken"[\s\S]*?Knows the customer by: reference, e-mail address/);
    // A reference from before references were limited to mapped systems is shown as one to act on.
    await server.portvakt.store.db.transaction().execute(async (trx) => {
      await trx.insertInto('customer_references').values({ customer_id: holder, system: 'legacy_till', reference: 'LT-1', created_at: Date.now() }).execute();
      await CustomerCounts.change(trx, referencesIn('legacy_till'), 1);
    });
    const warned = await officer.page('/console/data-map');
    expect(warned.html).toContain('References to systems not on the map');
    expect(warned.html).toMatch(/data-unmapped="legacy_till"><code>legacy_till<\/code>: 1</);
    expect((await api('DELETE', `/customers/${holder}/references/legacy_till`)).status).toBe(204);
    expect((await officer.page('/console/data-map?lang=sv')).html).toContain('Berättigat intresse');
    await officer.page('/console/data-map?lang=en');
    // Portvakt itself is always on the map; were nothing there, the page says so.
    expect(dataMapPage({ locale: 'sv', t: consoleTranslator('sv'), path: '/console/data-map' }, [])).toContain('Inget system finns på datakartan ännu.');
  });

  it('shows the open queue by due date, overdue first and marked in words, with task counts; a filter for overdue only', async () => {
    const page = await officer.page('/console/privacy');
    const order = [...page.html.matchAll(/data-request="(prq_[^"]+)"/g)].map((match) => match[1]);
    expect(order.slice(0, 4)).toEqual([ids.late, ids.later, ids.fresh, ids.busy]);
    const rows = page.html.split('<tr data-request=').slice(1);
    expect(rows[0]).toContain('data-overdue="true"');
    expect(rows[0]).toContain('Overdue');
    expect(rows[2]).not.toContain('Overdue');
    for (const count of ['1 done', '1 waiting for an operator', '1 gave up']) expect(rows[3]).toContain(count);
    const overdue = await officer.page('/console/privacy?overdue=1');
    expect([...overdue.html.matchAll(/data-request="(prq_[^"]+)"/g)].map((match) => match[1])).toEqual([ids.late, ids.later]);
    expect((await officer.page('/console/privacy?lang=sv')).html).toContain('Försenad');
    await officer.page('/console/privacy?lang=en');
  });

  it("shows a request's tasks with state, attempts and last error; a dead task is tried again", async () => {
    const page = await officer.page(`/console/privacy/${ids.busy}`);
    expect(page.html).toContain('Gave up');
    expect(page.html).toContain('the system answered HTTP 500');
    expect(page.html).toContain('Find the tickets by e-mail');
    // The operator of the support desk (keyed by e-mail) is told whom to look for.
    expect(/<tr data-task="[^"]+" data-system="support">[^]*?<\/tr>/.exec(page.html)![0]).toContain('The system is told: e-mail address busy@example.se');
    broken.heal();
    const dead = task(await detail(ids.busy!), 'broken');
    const retried = await officer.post(`/console/privacy/${ids.busy}/retry`, { task: dead.id }, `/console/privacy/${ids.busy}`);
    expect(retried.status).toBe(303);
    expect(retried.location).toBe(`/console/privacy/${ids.busy}?done=retried`);
    await until(ids.busy!, (current) => task(current, 'broken').state === 'done');
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select('actor_id').where('action', '=', 'privacy_task.retried').execute();
    expect(audit).toEqual([{ actor_id: `operator:${officer.id}` }]);
    // Retrying a task that is not dead is refused in words, nothing written.
    const again = await officer.post(`/console/privacy/${ids.busy}/retry`, { task: dead.id }, `/console/privacy/${ids.busy}`);
    expect(again.status).toBe(409);
    expect(again.html).toContain('Only a task that gave up can be tried again.');
    expect(await auditCount('privacy_task.retried')).toBe(1);
  });

  it('refuses a manual confirmation with a step unticked or a kept category without reason, in the page language, writing nothing', async () => {
    const support = task(await detail(ids.busy!), 'support');
    const from = `/console/privacy/${ids.busy}`;
    const missing = await officer.post(`/console/privacy/${ids.busy}/confirm`, { task: support.id, checklist: CHECKLIST[0]!, deleted: ['support_conversations', 'contact'] }, from);
    expect(missing.status).toBe(400);
    expect(missing.html).toContain('Tick every step of the checklist');
    // What was ticked is drawn again.
    expect(missing.html).toMatch(/value="Find the tickets by e-mail" checked/);
    const kept = await officer.post(`/console/privacy/${ids.busy}/confirm`, { task: support.id, checklist: CHECKLIST, deleted: 'contact' }, from);
    expect(kept.status).toBe(400);
    expect(kept.html).toContain('Say why what you did not delete is kept.');
    const long = await officer.post(`/console/privacy/${ids.busy}/confirm`, { task: support.id, checklist: CHECKLIST, deleted: ['support_conversations', 'contact'], note: 'x'.repeat(2001) }, from);
    expect(long.status).toBe(400);
    expect(long.html).toContain('Check this field.');
    await officer.page(`${from}?lang=sv`);
    const svenska = await officer.post(`/console/privacy/${ids.busy}/confirm`, { task: support.id, deleted: ['support_conversations', 'contact'] }, from);
    expect(svenska.status).toBe(400);
    expect(svenska.html).toContain('Bocka av varje steg i checklistan');
    await officer.page(`${from}?lang=en`);
    // Without its CSRF token: refused.
    const forged = await officer.agent.postForm(`${server.url}/console/privacy/${ids.busy}/confirm`, { task: support.id, checklist: CHECKLIST, deleted: ['support_conversations', 'contact'] });
    expect(forged.status).toBe(403);
    expect(task(await detail(ids.busy!), 'support')).toMatchObject({ state: 'waiting_operator', receipt: null });
    expect(await auditCount('privacy_task.completed', `operator:${officer.id}`)).toBe(0);
  });

  it('confirms the manual task in the operator\'s name; the request completes and its report reads in the console and downloads as JSON', async () => {
    const support = task(await detail(ids.busy!), 'support');
    const done = await officer.post(`/console/privacy/${ids.busy}/confirm`, { task: support.id, checklist: CHECKLIST, deleted: 'support_conversations', retained_reason: 'Complaint under review until closed', note: 'Checked both archives' }, `/console/privacy/${ids.busy}`);
    expect(done.status).toBe(303);
    const finished = await until(ids.busy!, (current) => current.state !== 'in_progress');
    expect(finished.state).toBe('completed_with_exceptions');
    expect(await auditCount('privacy_task.completed', `operator:${officer.id}`)).toBe(1);
    expect(task(finished, 'support').receipt).toMatchObject({ confirmed_by: 'Petra Privacy', deleted: ['support_conversations'], retained: [{ category: 'contact', reason: 'Complaint under review until closed' }], note: 'Checked both archives' });
    const page = await officer.page(`/console/privacy/${ids.busy}`);
    expect(page.html).toContain(`href="/console/privacy/${ids.busy}/report"`);
    const report = await officer.page(`/console/privacy/${ids.busy}/report`);
    expect(report.status).toBe(200);
    expect(report.html).toContain('data-state="completed_with_exceptions"');
    expect(report.html).toContain('Confirmed by Petra Privacy');
    expect([...report.html.matchAll(/<tr data-system="([^"]+)"/g)].map((match) => match[1]).sort()).toEqual(['broken', 'portvakt', 'support']);
    const json = await officer.agent.request(`${server.url}/console/privacy/${ids.busy}/report.json`);
    expect(json.headers.get('content-disposition')).toBe(`attachment; filename="privacy-report-${ids.busy}.json"`);
    expect(await json.json()).toEqual((await api('GET', `/privacy-requests/${ids.busy}/report`)).body);
    // An open request has no report yet.
    expect((await officer.page(`/console/privacy/${ids.late}/report`)).status).toBe(409);
    expect((await officer.page(`/console/privacy/${ids.late}`)).html).not.toContain('/report"');
  });

  it('runs the audit chain check on request, and names where a tampered chain breaks in either language', async () => {
    const idle = await officer.page('/console/audit');
    expect(idle.html).toContain('Check the chain now');
    expect(idle.html).not.toContain('data-ok=');
    const intact = await officer.page('/console/audit?check=1');
    const entries = (await api('GET', '/audit/verify')).body.entries as number;
    expect(intact.html).toContain('data-ok="true"');
    expect(intact.html).toContain(`all ${entries.toLocaleString('en-GB')} entries`);
    const db = server.portvakt.store.db;
    const target = await db.selectFrom('audit_log').select(['seq', 'action']).where('seq', '=', 3).executeTakeFirstOrThrow();
    await db.updateTable('audit_log').set({ action: 'tampered' }).where('seq', '=', target.seq).execute();
    try {
      const brokenPage = await officer.page('/console/audit?check=1');
      expect(brokenPage.html).toContain('data-broken-at="3"');
      expect(brokenPage.html).toContain('The content of entry 3 was changed after it was written.');
      expect((await officer.page('/console/audit?check=1&lang=sv')).html).toContain('Innehållet i post 3 har ändrats');
      await officer.page('/console/audit?lang=en');
    } finally {
      await db.updateTable('audit_log').set({ action: target.action }).where('seq', '=', target.seq).execute();
    }
    expect((await api('GET', '/audit/verify')).body.ok).toBe(true);
  });

  it('shows consent figures per purpose and brand as a table, and an empty state before any purpose', async () => {
    expect((await officer.page('/console/consent-figures')).html).toContain('No consent purposes yet.');
    const texts = { title: 'Erbjudanden', description: 'Erbjudanden via e-post.', legal_text: 'Tills du återkallar.' };
    expect((await api('POST', '/consent-purposes', { key: 'offers', texts: { sv: texts, en: { ...texts, title: 'Offers' } } })).status).toBe(201);
    for (const [email, decision] of [['g1@example.se', 'granted'], ['g2@example.se', 'granted'], ['d1@example.se', 'declined'], ['w1@example.se', 'withdrawn']] as const) {
      const id = (await api('POST', '/customers', { email })).body.id;
      expect((await api('POST', `/customers/${id}/consents`, { purpose: 'offers', version: 1, decision, channel: 'store', locale: 'sv', agent_id: 'agent-1' })).status).toBe(201);
    }
    const page = await officer.page('/console/consent-figures');
    expect(page.html).toContain('Offers');
    const total = /<tr data-brand="\*">([\s\S]*?)<\/tr>/.exec(page.html)![1]!;
    expect([...total.matchAll(/data-count="(\w+)">(\d+)</g)].map((match) => [match[1], Number(match[2])])).toEqual([['granted', 2], ['granted_outdated', 0], ['declined', 1], ['withdrawn', 1]]);
    expect(page.html).toContain('No brand (customer service, account pages)');
  });

  it('identifies the requester and extends the due date once, in the operator\'s name; bad input is refused in the page\'s language with nothing written', async () => {
    const id = (await ask('unverified', 'export')).id;
    const path = `/console/privacy/${id}`;
    const before = await detail(id);
    expect(before.state).toBe('received');
    // Customer service may do neither, as the API refuses them.
    expect((await agent.post(`${path}/verify`, { verification: 'ID card checked in store 12' }, '/console')).status).toBe(403);
    expect((await agent.post(`${path}/extend`, { months: '1', reason: 'Many systems to ask this month.' }, '/console')).status).toBe(403);
    const page = await officer.page(path);
    expect(page.html).toContain(`action="${path}/verify"`);
    expect(page.html).toContain(`action="${path}/extend"`);

    await officer.page(`${path}?lang=sv`);
    const short = await officer.post(`${path}/verify`, { verification: 'x' }, path);
    expect(short.status).toBe(400);
    expect(short.html).toContain('Ange hur den som begär identifierades (3 till 500 tecken).');
    await officer.page(`${path}?lang=en`);
    for (const [fields, text] of [
      [{ months: '3', reason: 'Many systems to ask this month.' }, 'Choose one or two months.'],
      [{ months: '2', reason: 'busy' }, 'Give the reason in 10 to 1000 characters.'],
    ] as const) {
      const refused = await officer.post(`${path}/extend`, fields, path);
      expect(refused.status).toBe(400);
      expect(refused.html).toContain(text);
      expect(refused.html).toContain(fields.reason);
    }
    expect(await detail(id)).toMatchObject({ state: 'received', verified_at: null, extension_reason: null, due_at: before.due_at });

    const verified = await officer.post(`${path}/verify`, { verification: 'ID card checked in store 12' }, path);
    expect(verified.status).toBe(303);
    expect(verified.location).toBe(`${path}?done=verified`);
    expect(await detail(id)).toMatchObject({ verification: 'ID card checked in store 12' });
    expect((await detail(id)).verified_at).not.toBeNull();
    expect(await auditCount('privacy_request.verified', `operator:${officer.id}`)).toBe(1);
    expect((await officer.page(path)).html).not.toContain(`action="${path}/verify"`);

    const extended = await officer.post(`${path}/extend`, { months: '2', reason: 'Many systems to ask this month.' }, path);
    expect(extended.status).toBe(303);
    const after = await detail(id);
    expect(after.extension_reason).toBe('Many systems to ask this month.');
    expect(after.due_at).toBeGreaterThan(before.due_at + 50 * 86_400);
    expect(await auditCount('privacy_request.extended', `operator:${officer.id}`)).toBe(1);
    const shown = await officer.page(path);
    expect(shown.html).toContain('Many systems to ask this month.');
    expect(shown.html).not.toContain(`action="${path}/extend"`);
    // Once only: a second extension is refused in words, and the due date stays.
    const again = await officer.post(`${path}/extend`, { months: '1', reason: 'Still many systems to ask.' }, path);
    expect(again.status).toBe(409);
    expect(again.html).toContain('This request is already extended: it can be extended once.');
    expect((await detail(id)).due_at).toBe(after.due_at);
  });

  it('pages a long queue with its cursor', async () => {
    for (let i = 0; i < 24; i++) await ask(`bulk${i}`, 'export');
    const first = await officer.page('/console/privacy');
    expect([...first.html.matchAll(/data-request="/g)].length).toBe(25);
    const next = /href="(\/console\/privacy\?after=[^"]+)"/.exec(first.html)![1]!.replaceAll('&amp;', '&');
    const second = await officer.page(next);
    const open = (await api('GET', '/privacy-requests?queue=open&limit=100')).body.requests.length as number;
    expect([...second.html.matchAll(/data-request="/g)].length).toBe(open - 25);
    expect(second.html).toContain('Back to the first page');
    // A cursor that is not one shows the first page.
    expect((await officer.page('/console/privacy?after=nonsense')).status).toBe(200);
  });
});
