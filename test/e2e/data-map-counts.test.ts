import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerCounts } from '../../src/customers/customer-counts.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

type Entry = { system: string; name: string; categories: string[]; legal_basis: string; retention: { rule: string } | null; access: string; customer_count: number };

const BOOKKEEPING = { rule: 'bookkeeping', description: 'Bokföringslagen 7 kap. 2 §: 7 years after the fiscal year ends', years: 7 };

/**
 * The data map overview: every system with what it holds and how many customers it holds data of
 * (Portvakt: all customers; any other system: those with a reference in it), following every
 * reference put and delete, erasure and deletion, read from kept counts that fold without drifting.
 */
describe.each(DIALECTS)('customer counts on the data map on %s', (dialect) => {
  let server: RunningPortvakt;

  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const counts = async () => {
    const answer = await api<{ customer_id: null; systems: Entry[] }>('GET', '/data-map');
    expect(answer.status).toBe(200);
    return Object.fromEntries(answer.body.systems.map((entry) => [entry.system, entry.customer_count]));
  };
  const customer = async (email: string) => (await api('POST', '/customers', { email })).body.id as string;
  const put = (id: string, system: string, reference: string) => api('PUT', `/customers/${id}/references/${system}`, { reference });
  const until = async (requestId: string, done: (request: { tasks: Array<{ system: string; state: string }> }) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const current = (await api('GET', `/privacy-requests/${requestId}`)).body;
      if (done(current)) return current;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the request never got there');
  };

  beforeAll(async () => {
    server = await startPortvakt(dialect, { OUTBOX_POLL_MS: '100' });
    expect((await api('POST', '/systems', { key: 'crm', name: 'CRM', categories: ['contact', 'purchase_history'], legal_basis: 'contract', access: 'manual', checklist: ['Delete the contact'] })).status).toBe(201);
    expect((await api('POST', '/systems', { key: 'loyalty', name: 'Loyalty', categories: ['loyalty'], legal_basis: 'legal_obligation', access: 'manual', checklist: ['Close the card'], retention: BOOKKEEPING })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('describes every system: categories, legal basis, retention rule, access mode and how many customers it holds', async () => {
    const { systems } = (await api<{ systems: Entry[] }>('GET', '/data-map')).body;
    expect(systems.map((entry) => [entry.system, entry.access, entry.legal_basis, entry.retention?.rule ?? null, entry.customer_count])).toEqual([
      ['portvakt', 'builtin', 'contract', null, 0],
      ['crm', 'manual', 'contract', null, 0],
      ['loyalty', 'manual', 'legal_obligation', 'bookkeeping', 0],
    ]);
    expect(systems[1]!.categories).toEqual(['contact', 'purchase_history']);
  });

  it('follows customers created, references put, replaced and deleted, an erasure and a deletion', async () => {
    const [anna, bo, cia] = [await customer('anna@example.se'), await customer('bo@example.se'), await customer('cia@example.se')];
    expect(await counts()).toEqual({ portvakt: 3, crm: 0, loyalty: 0 });

    for (const [id, system, reference] of [[anna, 'crm', 'C-1'], [bo, 'crm', 'C-2'], [anna, 'loyalty', 'L-1'], [cia, 'crm', 'C-3']] as const) expect((await put(id, system, reference)).status).toBe(200);
    expect(await counts()).toEqual({ portvakt: 3, crm: 3, loyalty: 1 });
    // A new reference in the same system replaces the old one: still one customer.
    expect((await put(anna, 'crm', 'C-1b')).status).toBe(200);
    // Refused (another customer has it): nothing changes.
    expect((await put(cia, 'crm', 'C-2')).status).toBe(409);
    expect(await counts()).toEqual({ portvakt: 3, crm: 3, loyalty: 1 });

    expect((await api('DELETE', `/customers/${bo}/references/crm`)).status).toBe(204);
    expect((await api('DELETE', `/customers/${bo}/references/crm`)).status).toBe(404);
    expect(await counts()).toEqual({ portvakt: 3, crm: 2, loyalty: 1 });

    // Erased: Portvakt's own task forgets the customer and their references.
    const erasure = (await api('POST', '/privacy-requests', { customer_id: anna, kind: 'erasure', verification: 'ID checked in store 12' })).body;
    await until(erasure.id, (current) => current.tasks.some((task) => task.system === 'portvakt' && task.state === 'done'));
    expect(await counts()).toEqual({ portvakt: 2, crm: 1, loyalty: 0 });

    // Deleted by an operator: the customer and their references.
    expect((await api('DELETE', `/customers/${cia}`)).status).toBe(204);
    expect((await api('DELETE', `/customers/${cia}`)).status).toBe(404);
    expect(await counts()).toEqual({ portvakt: 1, crm: 0, loyalty: 0 });
  });

  it('reads a handful of rows: the changes of a counter fold into one row, and the counts stay', async () => {
    const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => customer(`many-${i}@example.se`)));
    for (const id of ids.slice(0, 55)) expect((await put(id, 'loyalty', `L-${id}`)).status).toBe(200);
    const before = await counts();
    expect(before).toEqual({ portvakt: 61, crm: 0, loyalty: 55 });

    const db = server.portvakt.store.db;
    const rows = async (counter: string) => Number((await sql<{ n: number }>`select count(*) as n from customer_counts where counter = ${counter}`.execute(db)).rows[0]!.n);
    expect(await rows('customers')).toBeGreaterThan(50);
    const folding = new CustomerCounts(db);
    // Two nodes folding at once fold disjoint rows; a write meanwhile is kept.
    // Which of the two takes the rows is a race (SKIP LOCKED): together they fold at least one.
    const [folded, foldedByTheOther] = await Promise.all([folding.fold(), new CustomerCounts(db).fold(), customer('during-fold@example.se')]);
    expect(folded + foldedByTheOther).toBeGreaterThanOrEqual(1);
    expect(await rows('customers')).toBeLessThanOrEqual(3);
    expect(await rows('reference:loyalty')).toBeLessThanOrEqual(2);
    expect(await counts()).toEqual({ ...before, portvakt: 62 });
    // Nothing left to fold.
    expect(await folding.fold()).toBe(0);
  });
});
