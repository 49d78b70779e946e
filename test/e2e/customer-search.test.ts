import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

type Found = { id: string; email: string; given_name: string | null; family_name: string | null };
type Page = { customers: Found[]; next: string | null };

/**
 * Customer service finds a customer by the start of their names (issue 20): folded for case,
 * accents and Swedish letters, a page at a time in a stable order, never an erased customer, and
 * with nothing more in the answer than the lookups by e-mail, phone or reference give.
 */
describe.each(DIALECTS)('finding customers by name on %s', (dialect) => {
  let server: RunningPortvakt;
  const ids: Record<string, string> = {};
  const keys: Record<string, string> = {};

  const as = async <T = any>(bearer: string, path: string) => {
    const response = await fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    return { status: response.status, body: (await response.json()) as T };
  };
  const search = async (name: string, extra = '') => {
    const answer = await server.api<Page>('GET', `/customers?name=${encodeURIComponent(name)}${extra}`);
    expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(200);
    return answer.body;
  };
  const emailsFound = async (name: string) => (await search(name)).customers.map((customer) => customer.email).sort();
  const create = async (email: string, given_name?: string, family_name?: string) => {
    const created = await server.api('POST', '/customers', { email, ...(given_name ? { given_name } : {}), ...(family_name ? { family_name } : {}) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    ids[email] = created.body.id;
    return created.body.id as string;
  };

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    await create('anna@example.se', 'Anna', 'Andersson');
    await create('annika@example.se', 'Annika', 'Berg');
    await create('anders@example.se', 'Anders', 'Öberg');
    await create('asa@example.se', 'Åsa', 'Östlund');
    await create('kalle@example.se', 'Karl Johan', 'von Sydow');
    await create('anna-karin@example.se', 'Anna-Karin', "D'Souza");
    await create('nameless@example.se');
    for (const role of ['agent', 'privacy_officer', 'integration'] as const) {
      const created = await server.api('POST', '/api-keys', { name: role, role, systems: role === 'integration' ? ['crm'] : null });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      keys[role] = created.body.key;
    }
  });
  afterAll(() => server?.stop());

  it('finds by the start of a given or family name, one word or both, in either order', async () => {
    expect(await emailsFound('ann')).toEqual(['anna-karin@example.se', 'anna@example.se', 'annika@example.se']);
    expect(await emailsFound('ann ander')).toEqual(['anna@example.se']);
    expect(await emailsFound('andersson anna')).toEqual(['anna@example.se']);
    expect(await emailsFound('an')).toEqual(['anders@example.se', 'anna-karin@example.se', 'anna@example.se', 'annika@example.se']);
    expect(await emailsFound('berg')).toEqual(['annika@example.se']);
    expect(await emailsFound('karl johan')).toEqual(['kalle@example.se']);
    expect(await emailsFound('sydow')).toEqual(['kalle@example.se']);
    expect(await emailsFound('karin dsou')).toEqual(['anna-karin@example.se']);
    expect(await emailsFound("d'souza")).toEqual(['anna-karin@example.se']);
    expect(await emailsFound('ann zz')).toEqual([]);
    expect(await emailsFound('nobody')).toEqual([]);
    // "an" matches both of Anna Andersson's names: she is listed once.
    expect((await search('an')).customers.filter((customer) => customer.email === 'anna@example.se')).toHaveLength(1);
  });

  it('ignores case, accents and the Swedish letters', async () => {
    for (const query of ['öb', 'ÖB', 'Öb', 'ob', 'OBERG', 'öberg']) expect(await emailsFound(query), query).toEqual(['anders@example.se']);
    for (const query of ['ås', 'ÅS', 'as', 'åsa östl', 'ÖSTLUND', 'ost']) expect(await emailsFound(query), query).toEqual(['asa@example.se']);
    expect(await emailsFound('ANNA ANDERSSON')).toEqual(['anna@example.se']);
  });

  it('gives the same customer output as the other lookups, and nothing more', async () => {
    const byName = (await search('öberg')).customers[0]!;
    const byEmail = (await server.api<Page>('GET', '/customers?email=anders@example.se')).body.customers[0]!;
    expect(byName).toEqual(byEmail);
    expect(Object.keys(byName).sort()).toEqual(['created_at', 'email', 'email_verified', 'family_name', 'given_name', 'has_password', 'id', 'locale', 'phone_number', 'phone_number_verified', 'status', 'updated_at']);
  });

  it('refuses fewer than two letters, and a name with another lookup, with 400', async () => {
    for (const query of ['a', 'Ö', 'a b', ' ', '-', '!!']) {
      const answer = await server.api('GET', `/customers?name=${encodeURIComponent(query)}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error, query).toBe('validation_failed');
    }
    expect((await server.api('GET', '/customers?name=ann&email=anna@example.se')).status).toBe(400);
    expect((await server.api('GET', `/customers?name=${'a'.repeat(101)}`)).status).toBe(400);
    expect((await server.api('GET', '/customers?name=ann&limit=101')).status).toBe(400);
    expect((await server.api('GET', '/customers?name=ann&after=not-a-cursor!')).status).toBe(400);
    expect((await server.api('GET', `/customers?name=ann&after=${Buffer.from('{"x":1}').toString('base64url')}`)).status).toBe(400);
    expect((await server.api('GET', '/customers?after=not-a-uuid')).status).toBe(400);
  });

  it('pages through more customers than a page holds, each once, in a stable order', async () => {
    const made: string[] = [];
    for (let i = 0; i < 25; i++) made.push(await create(`page${i}@example.se`, i % 2 === 0 ? 'Pelle' : 'Petra', `Paginasson ${String(i).padStart(2, '0')}`));
    const first = await search('paginasson');
    expect(first.customers).toHaveLength(20);
    expect(first.next).toEqual(expect.any(String));
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Page = await search('pagin', `&limit=10${after ? `&after=${after}` : ''}`);
      seen.push(...page.customers.map((customer) => customer.id));
      after = page.next;
      pages++;
      if (after) expect(page.customers).toHaveLength(10);
    } while (after && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(new Set(made));
    // The same search pages the same way again.
    expect((await search('pagin', '&limit=10')).customers.map((customer) => customer.id)).toEqual(seen.slice(0, 10));
    // Two words narrow it: Petra Paginasson, every other one of them.
    expect((await search('paginasson pe', '&limit=100')).customers).toHaveLength(25);
    expect((await search('petra pagin', '&limit=100')).customers).toHaveLength(12);
    expect((await search('petra pagin', '&limit=100')).next).toBeNull();
  });

  it('finds the new name after a change, and no longer the old one', async () => {
    const id = await create('renamed@example.se', 'Greta', 'Gammalsson');
    expect(await emailsFound('gammal')).toEqual(['renamed@example.se']);
    expect((await server.api('PATCH', `/customers/${id}`, { family_name: 'Nyström' })).status).toBe(200);
    expect(await emailsFound('gammal')).toEqual([]);
    expect(await emailsFound('nyst')).toEqual(['renamed@example.se']);
    expect(await emailsFound('greta nys')).toEqual(['renamed@example.se']);
    expect((await server.api('PATCH', `/customers/${id}`, { given_name: null })).status).toBe(200);
    expect(await emailsFound('greta')).toEqual([]);
    expect(await emailsFound('nyström')).toEqual(['renamed@example.se']);
  });

  it('never finds an erased or deleted customer, and keeps none of their words', async () => {
    const erased = await create('erased@example.se', 'Ebba', 'Raderadsson');
    const deleted = await create('deleted@example.se', 'Dag', 'Raderadsson');
    expect(await emailsFound('raderad')).toEqual(['deleted@example.se', 'erased@example.se']);
    const request = await server.api('POST', '/privacy-requests', { customer_id: erased, kind: 'erasure', verification: 'ID checked in store' });
    expect(request.status, JSON.stringify(request.body)).toBe(201);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const current = (await server.api('GET', `/privacy-requests/${request.body.id}`)).body;
      if (current.tasks.some((task: { system: string; state: string }) => task.system === 'portvakt' && task.state === 'done')) break;
      if (Date.now() > deadline) throw new Error(`erasure did not finish: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await emailsFound('raderad')).toEqual(['deleted@example.se']);
    expect(await emailsFound('ebba')).toEqual([]);
    expect((await server.api('DELETE', `/customers/${deleted}`)).status).toBe(204);
    expect(await emailsFound('raderad')).toEqual([]);
    const left = await server.portvakt.store.db.selectFrom('customer_name_keys').select('search_key').where('customer_id', 'in', [erased, deleted]).execute();
    expect(left).toEqual([]);
  });

  it('lets agents and privacy officers search, and refuses an integration', async () => {
    for (const role of ['agent', 'privacy_officer'] as const) {
      const answer = await as<Page>(keys[role]!, '/customers?name=%C3%B6berg');
      expect(answer.status, role).toBe(200);
      expect(answer.body.customers.map((customer) => customer.id), role).toEqual([ids['anders@example.se']]);
    }
    const refused = await as(keys.integration!, '/customers?name=%C3%B6berg');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden' });
  });

  it('lists every customer for an admin a page at a time, with next', async () => {
    const first = await server.api<Page>('GET', '/customers?limit=5');
    expect(first.body.customers).toHaveLength(5);
    expect(first.body.next).toBe(first.body.customers[4]!.id);
    const second = await server.api<Page>('GET', `/customers?limit=5&after=${first.body.next}`);
    expect(second.body.customers[0]!.id > first.body.next!).toBe(true);
    expect((await server.api<Page>('GET', '/customers?limit=500')).body.next).toBeNull();
  });
});
