import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { mapSystems } from '../support/data-map.ts';
import { untilRequest } from '../support/privacy-request-wait.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe.each(DIALECTS)('SCIM 2.0 /scim/v2 on %s', (dialect) => {
  let server: RunningPortvakt;
  let key: string;

  async function scim(method: string, path: string, body?: unknown, bearer: string | null = key): Promise<{ status: number; type: string | null; body: any; location: string | null }> {
    const headers: Record<string, string> = { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) };
    const response = await fetch(`${server.url}/scim/v2${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined, location: response.headers.get('location') };
  }
  const user = (userName: string, extra: Record<string, unknown> = {}) => ({ schemas: [USER], userName, ...extra });

  beforeAll(async () => {
    server = await startPortvakt(dialect, { RATE_LIMIT_IP_PER_MINUTE: '0' });
    await mapSystems(server, 'webshop', 'loyalty');
    const created = await server.api('POST', '/api-keys', { name: 'Provisioning', role: 'integration', systems: ['webshop'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    key = created.body.key;
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('creates a user as a customer with their external id, and finds them by userName and externalId', async () => {
    const created = await scim('POST', '/Users', user('Anna.Berg@Example.se', { externalId: 'HS-1', name: { givenName: 'Anna', familyName: 'Berg' }, emails: [{ value: 'anna.berg@example.se', primary: true }], phoneNumbers: [{ value: '+46701234001', type: 'mobile' }], displayName: 'ignored' }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.type).toMatch(/^application\/scim\+json/);
    expect(created.body).toMatchObject({ schemas: [USER], userName: 'anna.berg@example.se', externalId: 'HS-1', name: { givenName: 'Anna', familyName: 'Berg' }, phoneNumbers: [{ value: '+46701234001' }], active: true, meta: { resourceType: 'User' } });
    expect(created.location).toBe(`${server.url}/scim/v2/Users/${created.body.id}`);
    // The customer Portvakt keeps, and their reference in the key's system.
    const customer = (await server.api('GET', `/customers/${created.body.id}`)).body;
    expect(customer).toMatchObject({ email: 'anna.berg@example.se', given_name: 'Anna', family_name: 'Berg', phone_number: '+46701234001', status: 'active' });
    expect((await server.api('GET', `/customers/${created.body.id}/references`)).body.references).toEqual([expect.objectContaining({ system: 'webshop', reference: 'HS-1' })]);

    const byName = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "ANNA.BERG@example.se"')}`);
    expect(byName.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, startIndex: 1, itemsPerPage: 1, Resources: [{ id: created.body.id }] });
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "HS-1"')}`)).body.Resources.map((each: { id: string }) => each.id)).toEqual([created.body.id]);
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@example.se"')}`)).body).toMatchObject({ totalResults: 0, Resources: [] });
    expect((await scim('GET', `/Users/${created.body.id}`)).body).toMatchObject({ id: created.body.id, externalId: 'HS-1' });

    // The same address again is a uniqueness error, and so is the same external id.
    expect(await scim('POST', '/Users', user('anna.berg@example.se'))).toMatchObject({ status: 409, body: { schemas: [ERROR], status: '409', scimType: 'uniqueness' } });
    expect(await scim('POST', '/Users', user('other@example.se', { externalId: 'HS-1' }))).toMatchObject({ status: 409, body: { scimType: 'uniqueness' } });
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "other@example.se"')}`)).body.totalResults).toBe(0);
  });

  it('pages through users with startIndex and count', async () => {
    for (let i = 0; i < 5; i++) expect((await scim('POST', '/Users', user(`page${i}@example.se`))).status).toBe(201);
    const all = await scim('GET', '/Users?startIndex=1&count=200');
    const total = all.body.totalResults as number;
    expect(total).toBeGreaterThanOrEqual(6);
    expect(all.body.Resources).toHaveLength(total);
    const second = await scim('GET', '/Users?startIndex=3&count=2');
    expect(second.body).toMatchObject({ totalResults: total, startIndex: 3, itemsPerPage: 2 });
    expect(second.body.Resources.map((each: { id: string }) => each.id)).toEqual(all.body.Resources.slice(2, 4).map((each: { id: string }) => each.id));
    expect((await scim('GET', `/Users?startIndex=${total + 1}&count=5`)).body).toMatchObject({ totalResults: total, Resources: [] });
  });

  it('patches with scim-patch and replaces with PUT', async () => {
    const id = (await scim('POST', '/Users', user('patch@example.se', { externalId: 'HS-P', name: { givenName: 'Per' } }))).body.id;
    const patched = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'name.familyName', value: 'Persson' }, { op: 'replace', value: { active: false } }] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ name: { givenName: 'Per', familyName: 'Persson' }, active: false, externalId: 'HS-P' });
    expect((await server.api('GET', `/customers/${id}`)).body).toMatchObject({ family_name: 'Persson', status: 'disabled' });
    expect((await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true }] })).body.active).toBe(true);

    // PUT replaces: what it leaves out is cleared, the external id too.
    const put = await scim('PUT', `/Users/${id}`, user('patch.new@example.se', { name: { givenName: 'Pia' } }));
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ userName: 'patch.new@example.se', name: { givenName: 'Pia' } });
    expect(put.body.name.familyName).toBeUndefined();
    expect(put.body.externalId).toBeUndefined();
    expect((await server.api('GET', `/customers/${id}`)).body).toMatchObject({ email: 'patch.new@example.se', given_name: 'Pia', family_name: null, email_verified: false });
    expect((await server.api('GET', `/customers/${id}/references`)).body.references).toEqual([]);

    // A patch that makes the user invalid, or one scim-patch cannot apply, is refused with its scimType.
    expect(await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'not an address' }] })).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
    expect(await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'move', path: 'userName', value: 'x' }] })).toMatchObject({ status: 400, body: { schemas: [ERROR] } });
    expect(await scim('PATCH', `/Users/${id}`, { Operations: [] })).toMatchObject({ status: 400, body: { scimType: 'invalidSyntax' } });
  });

  it('deletes by disabling and opening an erasure request; the user is gone for SCIM and never re-created once erased', async () => {
    const id = (await scim('POST', '/Users', user('leaving@example.se', { externalId: 'HS-L' }))).body.id;
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect(await scim('GET', `/Users/${id}`)).toMatchObject({ status: 404, body: { schemas: [ERROR], status: '404' } });
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(404);
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "leaving@example.se"')}`)).body.totalResults).toBe(0);
    // Not bypassing the privacy flow: the customer is disabled, and the request waits for verification.
    expect((await server.api('GET', `/customers/${id}`)).body.status).toBe('disabled');
    const requests = (await server.api('GET', `/privacy-requests?customer_id=${id}`)).body;
    const request = requests.requests[0];
    expect(request).toMatchObject({ kind: 'erasure', state: 'received' });

    // Once erased, the provisioning system cannot bring the address back.
    expect((await server.api('POST', `/privacy-requests/${request.id}/verify`, { verification: 'Confirmed with the customer by phone' })).status).toBeLessThan(300);
    await untilRequest<{ tasks: Array<{ system: string; state: string }> }>(server, request.id, (current) => current.tasks.some((task) => task.system === 'portvakt' && task.state === 'done'));
    expect(await scim('POST', '/Users', user('leaving@example.se'))).toMatchObject({ status: 409, body: { scimType: 'uniqueness', detail: expect.stringContaining('erased_customer') } });
  });

  it('answers errors in SCIM form: bad filters, bad bodies, unknown users; 401 without a key, 403 for a key that is not one system\'s integration key', async () => {
    expect(await scim('GET', `/Users?filter=${encodeURIComponent('userName co "a"')}`)).toMatchObject({ status: 400, type: expect.stringMatching(/^application\/scim\+json/), body: { schemas: [ERROR], status: '400', scimType: 'invalidFilter' } });
    expect(await scim('GET', `/Users?filter=${encodeURIComponent('userName eq')}`)).toMatchObject({ status: 400, body: { scimType: 'invalidFilter' } });
    expect(await scim('POST', '/Users', '{"userName": ')).toMatchObject({ status: 400, body: { scimType: 'invalidSyntax' } });
    expect(await scim('POST', '/Users', user('no-at-sign'))).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
    expect(await scim('POST', '/Users', user('two@example.se', { emails: [{ value: 'other@example.se', primary: true }] }))).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
    expect(await scim('GET', '/Users/00000000-0000-4000-8000-000000000000')).toMatchObject({ status: 404, body: { schemas: [ERROR] } });
    expect(await scim('GET', '/Groups')).toMatchObject({ status: 404, type: expect.stringMatching(/^application\/scim\+json/), body: { schemas: [ERROR], status: '404' } });

    expect(await scim('GET', '/Users', undefined, null)).toMatchObject({ status: 401, body: { schemas: [ERROR], status: '401' } });
    expect((await scim('GET', '/Users', undefined, 'pvk_AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(401);
    const agent = (await server.api('POST', '/api-keys', { name: 'Support', role: 'agent' })).body.key;
    expect(await scim('GET', '/Users', undefined, agent)).toMatchObject({ status: 403, body: { schemas: [ERROR], status: '403' } });
    const twoSystems = (await server.api('POST', '/api-keys', { name: 'Both', role: 'integration', systems: ['webshop', 'loyalty'] })).body.key;
    expect((await scim('POST', '/Users', user('both@example.se'), twoSystems)).status).toBe(403);
  });

  it('describes itself: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config).toMatchObject({ status: 200, type: expect.stringMatching(/^application\/scim\+json/), body: { patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } } });
    expect((await scim('GET', '/ResourceTypes')).body.Resources).toEqual([expect.objectContaining({ id: 'User', endpoint: '/Users', schema: USER })]);
    const schemas = (await scim('GET', '/Schemas')).body.Resources;
    expect(schemas[0].attributes.map((attribute: { name: string }) => attribute.name)).toEqual(expect.arrayContaining(['userName', 'externalId', 'name', 'emails', 'phoneNumbers', 'active']));
    expect((await scim('GET', `/Schemas/${USER}`)).body.id).toBe(USER);
  });
});
