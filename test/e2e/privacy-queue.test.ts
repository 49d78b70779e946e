import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { SystemDouble } from '../support/system-double.ts';

type Counts = Record<'pending' | 'waiting_callback' | 'waiting_operator' | 'scheduled' | 'done' | 'dead' | 'not_identified', number>;
type Task = { id: string; system: string; system_name: string | null; state: string; attempts: number; last_error: string | null; categories: string[]; checklist: string[] | null };
type Request = { id: string; kind: string; state: string; due_at: number; overdue: boolean; task_counts: Counts; tasks?: Task[] };
type Page = { requests: Request[]; next: string | null };

const DAY = 86_400_000;
const none: Counts = { pending: 0, waiting_callback: 0, waiting_operator: 0, scheduled: 0, done: 0, dead: 0, not_identified: 0 };

/**
 * The privacy officer's queue: open requests by due date, overdue first, paged by a cursor, each
 * with how many of its tasks are in each state; and a request's detail, task by task, with the
 * operator's two actions on tasks (confirm a manual one, retry a dead one).
 */
describe.each(DIALECTS)('the privacy request queue on %s', (dialect) => {
  let server: RunningPortvakt;
  let broken: SystemDouble;
  const ids: Record<string, string> = {};

  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const detail = async (id: string) => (await api<Request & { tasks: Task[] }>('GET', `/privacy-requests/${id}`)).body;
  const until = async (id: string, done: (request: Request & { tasks: Task[] }) => boolean) => {
    for (let i = 0; i < 300; i++) {
      const current = await detail(id);
      if (done(current)) return current;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the request never got there: ${JSON.stringify(await detail(id))}`);
  };
  const task = (request: { tasks: Task[] }, system: string) => request.tasks.find((entry) => entry.system === system)!;
  const ask = async (name: string, kind: 'erasure' | 'export', verification?: string) => {
    const customer = (await api('POST', '/customers', { email: `${name}@example.se` })).body.id as string;
    const created = await api<Request>('POST', '/privacy-requests', { customer_id: customer, kind, ...(verification ? { verification } : {}) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    ids[name] = created.body.id;
    return created.body;
  };
  const dueIn = (name: string, ms: number) => sql`update privacy_requests set due_at = ${Date.now() + ms} where id = ${ids[name]!}`.execute(server.portvakt.store.db);
  const queue = async (query = '') => {
    const answer = await api<Page>('GET', `/privacy-requests?queue=open${query}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  };
  const names = (requests: Request[]) => requests.map((request) => Object.keys(ids).find((name) => ids[name] === request.id) ?? request.id);

  beforeAll(async () => {
    [server, broken] = await Promise.all([
      startPortvakt(dialect, { OUTBOX_POLL_MS: '100', PRIVACY_RETRY_BASE_MS: '100', PRIVACY_RETRY_MAX_MS: '200', PRIVACY_MAX_ATTEMPTS: '2' }),
      SystemDouble.start({ kind: 'api', failFirst: 1000 }),
    ]);
    expect((await api('POST', '/systems', { key: 'support', name: 'Support desk', categories: ['support_conversations'], legal_basis: 'legitimate_interests', access: 'manual', checklist: ['Find the tickets by e-mail', 'Delete them'], identified_by: ['email'] })).status).toBe(201);

    // Done before the broken system joins the map: completed, so out of the queue.
    const done = await ask('done', 'erasure', 'ID checked in store 12');
    const waiting = await until(done.id, (current) => task(current, 'portvakt').state === 'done');
    expect((await api('POST', `/privacy-requests/${done.id}/tasks/${task(waiting, 'support').id}/confirm`, { confirmed_by: 'Agent Anna', deleted: ['support_conversations'], retained: [] })).status).toBe(200);
    expect((await until(done.id, (current) => current.state !== 'in_progress')).state).toBe('completed');

    broken.secret = (await api('POST', '/systems', { key: 'broken', name: 'Broken shop', categories: ['purchase_history'], legal_basis: 'contract', access: 'api', endpoint: broken.endpoint, identified_by: ['email'] })).body.secret;
    await ask('late', 'export');
    await ask('later', 'export');
    await ask('busy', 'erasure', 'Signed in with passkey');
    await ask('fresh', 'export');
    await ask('extended', 'export');
    expect((await api('POST', `/privacy-requests/${ids.extended}/extend`, { months: 2, reason: 'Records in three archives must be searched by hand' })).status).toBe(200);
    await dueIn('late', -2 * DAY);
    await dueIn('later', -1 * DAY);
    await dueIn('busy', 10 * DAY);
    await dueIn('fresh', 20 * DAY);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), broken?.close()]);
  });

  it('lists open requests by due date, overdue first, each with its task counts', async () => {
    const busy = await until(ids.busy!, (current) => task(current, 'broken').state === 'dead' && task(current, 'portvakt').state === 'done');
    const { requests, next } = await queue();
    expect(names(requests)).toEqual(['late', 'later', 'busy', 'fresh', 'extended']);
    expect(next).toBeNull();
    expect(requests.map((request) => request.overdue)).toEqual([true, true, false, false, false]);
    const dues = requests.map((request) => request.due_at);
    expect([...dues].sort((a, b) => a - b)).toEqual(dues);
    expect(requests[0]).toMatchObject({ state: 'received', task_counts: none });
    expect(requests[2]).toMatchObject({ state: 'in_progress', task_counts: { ...none, done: 1, waiting_operator: 1, dead: 1 } });
    expect(busy.task_counts).toEqual(requests[2]!.task_counts);

    expect(names((await queue('&overdue=true')).requests)).toEqual(['late', 'later']);
    expect(names((await queue('&kind=erasure')).requests)).toEqual(['busy']);
    expect(names((await queue('&state=received')).requests)).toEqual(['late', 'later', 'fresh', 'extended']);
    // Without the queue: every request, newest first, with the same counts.
    const all = (await api<Page>('GET', '/privacy-requests?limit=10')).body.requests;
    expect(names(all)).toEqual(['extended', 'fresh', 'busy', 'later', 'late', 'done']);
    expect(all.find((request) => request.id === ids.done)).toMatchObject({ state: 'completed', task_counts: { ...none, done: 2 } });
  });

  it('pages the queue with a cursor, and a request extended between pages does not show twice', async () => {
    const first = await queue('&limit=2');
    expect(names(first.requests)).toEqual(['late', 'later']);
    expect(first.next).toMatch(/^\d+\.prq_/);
    const second = await queue(`&limit=2&after=${first.next}`);
    expect(names(second.requests)).toEqual(['busy', 'fresh']);
    // 'late' is extended meanwhile: it moves behind the pages already read and turns up once, later.
    await dueIn('late', 40 * DAY);
    const third = await queue(`&limit=2&after=${second.next}`);
    expect(names(third.requests)).toEqual(['late', 'extended']);
    expect(third.next).toBeNull();
    await dueIn('late', -2 * DAY);
  });

  it("shows a request's tasks system by system, and the operator's retry and confirmation move them on", async () => {
    const busy = await detail(ids.busy!);
    expect(task(busy, 'support')).toMatchObject({ system_name: 'Support desk', state: 'waiting_operator', categories: ['support_conversations'], checklist: ['Find the tickets by e-mail', 'Delete them'] });
    expect(task(busy, 'broken')).toMatchObject({ system_name: 'Broken shop', state: 'dead', attempts: 2, last_error: 'the system answered HTTP 500', checklist: null });
    expect(task(busy, 'portvakt')).toMatchObject({ system_name: 'Portvakt (customer identity)', state: 'done' });

    broken.heal();
    const retried = await api<Request>('POST', `/privacy-requests/${ids.busy}/tasks/${task(busy, 'broken').id}/retry`);
    expect(retried.status).toBe(200);
    const healed = await until(ids.busy!, (current) => task(current, 'broken').state === 'done');
    expect(healed.task_counts).toEqual({ ...none, done: 2, waiting_operator: 1 });
    expect((await api('POST', `/privacy-requests/${ids.busy}/tasks/${task(busy, 'broken').id}/retry`)).body).toMatchObject({ error: 'not_dead' });

    expect((await api('POST', `/privacy-requests/${ids.busy}/tasks/${task(busy, 'support').id}/confirm`, { confirmed_by: 'Agent Bo', deleted: ['support_conversations'], retained: [] })).status).toBe(200);
    expect((await until(ids.busy!, (current) => current.state !== 'in_progress')).state).toBe('completed');
    expect(names((await queue()).requests)).toEqual(['late', 'later', 'fresh', 'extended']);
  });

  it('marks receiving a request (an erasure cannot be undone) as needing a fresh sign-in in the console', async () => {
    const document = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    expect(document.paths['/api/v1/privacy-requests'].post['x-sensitive']).toBe(true);
    expect(document.paths['/api/v1/privacy-requests'].get['x-sensitive']).toBeUndefined();
  });

  it('refuses a bad queue query with 400', async () => {
    for (const query of ['queue=closed', 'queue=open&after=nope', `after=1.${ids.late}`, `queue=open&before=${ids.late}`, 'queue=open&state=completed', 'queue=open&limit=0', 'queue=open&kind=forget']) {
      const answer = await api('GET', `/privacy-requests?${query}`);
      expect(answer.status, query).toBe(400);
    }
  });
});
