import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleTeam, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

/** The profile schema in the administrator's console, over HTTP, on both dialects. */
describe.each(DIALECTS)('console profile schema on %s', (dialect) => {
  let server: RunningPortvakt;
  let admin: ConsoleOperator;
  let agent: ConsoleOperator;
  let privacy: ConsoleOperator;
  let customerId: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    ({ admin, agent, privacy } = await consoleTeam(server));
    customerId = (await server.api('POST', '/customers', { email: 'kund@example.se' })).body.id;
  });
  afterAll(() => server?.stop());

  const schema = async () => (await server.api('GET', '/profile-schema')).body.attributes as Array<{ key: string; type: string; labels: { sv: string; en: string }; options: string[] | null; ask: string; built_in: boolean }>;
  const auditCount = async () => Number((await server.portvakt.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('lists the attributes with their type, who gives them and who may edit them, in both languages', async () => {
    const page = await admin.page('/console/profile-schema?lang=en');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<code>birthdate</code>');
    expect(page.html).toContain('Postal address');
    expect(page.html).toContain('The customer, asked when an application asks for it');
    expect(page.html).toContain('Customer (on their profile page), administrators, integrations');
    const sv = await admin.page('/console/profile-schema?lang=sv');
    expect(sv.html).toContain('Födelsedatum');
    expect(sv.html).toContain('Bara administratörer och integrationer (via API:t)');
    await admin.page('/console/profile-schema?lang=en');
  });

  it('adds a choice attribute, changes it, and removes it with every value', async () => {
    const added = await admin.post('/console/profile-schema', { key: 'shoe_size', type: 'enum', label_sv: 'Skostorlek', label_en: 'Shoe size', options: '38\r\n39\r\n\r\n40', ask: 'when_requested' });
    expect(added.status, added.html.slice(0, 1500)).toBe(303);
    expect(added.location).toBe('/console/profile-schema?done=saved');
    expect((await schema()).find((attribute) => attribute.key === 'shoe_size')).toMatchObject({ type: 'enum', labels: { sv: 'Skostorlek', en: 'Shoe size' }, options: ['38', '39', '40'], ask: 'when_requested', built_in: false, customer_editable: false });
    expect((await admin.page('/console/profile-schema')).html).toContain('Choice: 38, 39, 40');

    expect((await admin.page('/console/profile-schema')).html).toContain('Administrators, integrations');
    const changed = await admin.post('/console/profile-schema/shoe_size', { type: 'enum', label_sv: 'Skostorlek (EU)', label_en: 'Shoe size (EU)', options: '38\n39\n40\n41', ask: 'sign_up', customer_editable: 'on' });
    expect(changed.status).toBe(303);
    expect((await schema()).find((attribute) => attribute.key === 'shoe_size')).toMatchObject({ labels: { sv: 'Skostorlek (EU)', en: 'Shoe size (EU)' }, options: ['38', '39', '40', '41'], ask: 'sign_up', customer_editable: true });
    const page = await admin.page('/console/profile-schema/shoe_size?done=saved');
    expect(page.html).toContain('Saved.');
    expect(page.html).toContain('value="Shoe size (EU)"');

    expect((await server.api('PATCH', `/customers/${customerId}/attributes`, { shoe_size: '41' })).status).toBe(200);
    // A type customers have values of is kept: the refusal is the type field's, in words.
    const retyped = await admin.post('/console/profile-schema/shoe_size', { type: 'text', label_sv: 'Skostorlek', label_en: 'Shoe size', options: '', ask: 'sign_up' });
    expect(retyped.status).toBe(409);
    expect(retyped.html).toMatch(/id="field-type-error">Customers have values of the old type/);
    const removed = await admin.post('/console/profile-schema/shoe_size/delete', {}, '/console/profile-schema/shoe_size');
    expect(removed.status).toBe(303);
    expect(removed.location).toBe('/console/profile-schema?done=removed');
    expect((await schema()).some((attribute) => attribute.key === 'shoe_size')).toBe(false);
    expect((await server.api('GET', `/customers/${customerId}/attributes`)).body.attributes).toEqual({});
  });

  it('keeps a built-in attribute: its type is not offered, it cannot be removed, when it is asked can change', async () => {
    const page = await admin.page('/console/profile-schema/birthdate');
    expect(page.html).not.toContain('id="field-type"');
    expect(page.html).not.toContain('/console/profile-schema/birthdate/delete');
    const changed = await admin.post('/console/profile-schema/birthdate', { type: 'date', label_sv: 'Födelsedag', label_en: 'Birthday', ask: 'sign_up' });
    expect(changed.status).toBe(303);
    expect((await schema()).find((attribute) => attribute.key === 'birthdate')).toMatchObject({ type: 'date', labels: { sv: 'Födelsedag', en: 'Birthday' }, ask: 'sign_up', built_in: true });
    const removed = await admin.post('/console/profile-schema/birthdate/delete', {}, '/console/profile-schema/birthdate');
    expect(removed.status).toBe(409);
    expect(removed.html).toContain('A built-in attribute keeps its type and cannot be removed');
  });

  it('refuses bad input with the field errors in English and Swedish, 400, and writes nothing', async () => {
    await server.api('PUT', '/profile-schema/member_since', { type: 'date', labels: { sv: 'Medlem sedan', en: 'Member since' } });
    const before = JSON.stringify(await schema());
    const audit = await auditCount();
    const bad = await admin.post('/console/profile-schema', { key: 'Bad Key', type: 'colour', label_sv: '', label_en: 'X', options: '', ask: 'never' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('Lowercase letters, digits and _, 2 to 64 characters');
    expect(bad.html).toMatch(/id="field-type-error">Check this field/);
    expect(bad.html).toMatch(/id="field-label_sv-error">Fill in this field/);
    const noChoices = await admin.post('/console/profile-schema', { key: 'size', type: 'enum', label_sv: 'Storlek', label_en: 'Size', options: '', ask: 'never' });
    expect(noChoices.status).toBe(400);
    expect(noChoices.html).toMatch(/id="field-options-error">A choice attribute needs its choices/);
    const taken = await admin.post('/console/profile-schema', { key: 'member_since', type: 'text', label_sv: 'X', label_en: 'X', ask: 'never' });
    expect(taken.status).toBe(409);
    expect(taken.html).toContain('An attribute with this key exists.');
    await admin.page('/console/profile-schema?lang=sv');
    const reserved = await admin.post('/console/profile-schema', { key: 'email', type: 'text', label_sv: 'E-post', label_en: 'E-mail', ask: 'never' });
    expect(reserved.status).toBe(409);
    expect(reserved.html).toMatch(/id="field-key-error">Det här är ett kärnfält/);
    const choices = await admin.post('/console/profile-schema/member_since', { type: 'date', label_sv: 'Medlem', label_en: 'Member', options: 'a\nb', ask: 'never' });
    expect(choices.status).toBe(400);
    expect(choices.html).toContain('Ett valattribut behöver sina val');
    const empty = await admin.post('/console/profile-schema/member_since', { type: 'date', label_sv: ' ', label_en: 'Member', ask: 'always' });
    expect(empty.status).toBe(400);
    expect(empty.html).toMatch(/id="field-label_sv-error">Fyll i fältet/);
    expect(empty.html).toMatch(/id="field-ask-error">Kontrollera fältet/);
    await admin.page('/console/profile-schema?lang=en');
    expect(JSON.stringify(await schema())).toBe(before);
    expect(await auditCount()).toBe(audit);
  });

  it('walls the pages and posts off from customer service and the privacy officer as the API does, and refuses a post without its CSRF token', async () => {
    await server.api('PUT', '/profile-schema/loyalty_level', { type: 'text', labels: { sv: 'Nivå', en: 'Level' } });
    for (const path of ['/console/profile-schema', '/console/profile-schema/loyalty_level']) {
      expect((await admin.page(path)).status, path).toBe(200);
      for (const other of [agent, privacy]) expect((await other.page(path)).status, path).toBe(403);
    }
    for (const role of ['agent', 'privacy_officer']) {
      const key = (await server.api('POST', '/api-keys', { name: role, role })).body.key;
      for (const method of ['PUT', 'DELETE']) {
        const answer = await fetch(`${server.url}/api/v1/profile-schema/loyalty_level`, { method, headers: { authorization: `Bearer ${key}`, ...(method === 'PUT' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'PUT' ? { body: '{}' } : {}) });
        expect(answer.status, `${role} ${method}`).toBe(403);
      }
    }
    const before = JSON.stringify(await schema());
    const posts: Array<[string, Record<string, string>]> = [
      ['/console/profile-schema', { key: 'evil', type: 'text', label_sv: 'x', label_en: 'x', ask: 'never' }],
      ['/console/profile-schema/loyalty_level', { type: 'text', label_sv: 'Ond', label_en: 'Evil', ask: 'sign_up' }],
      ['/console/profile-schema/loyalty_level/delete', {}],
    ];
    for (const [path, fields] of posts) {
      for (const other of [agent, privacy]) expect((await other.post(path, fields, '/console')).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, fields)).status, path).toBe(403);
      expect((await admin.agent.postForm(`${server.url}${path}`, { ...fields, csrf: 'A'.repeat(43) })).status, path).toBe(403);
    }
    expect(JSON.stringify(await schema())).toBe(before);
  });
});
