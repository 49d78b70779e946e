import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const CALLER = { email: 'ringer@example.se', password: 'the callers passphrase', locale: 'sv' };

/**
 * Customer service identifying a caller with an agent key: a code to the verified address that the
 * caller reads out (the agent never sees it), or a prompt the customer approves in their account;
 * every step in the customer's timeline under the agent's key and name.
 */
describe.each(DIALECTS)('customer service on %s', (dialect) => {
  let server: RunningPortvakt;
  let agentKey: string;
  let customerId: string;
  const asAgent = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${agentKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    customerId = (await server.api('POST', '/customers', CALLER)).body.id;
    agentKey = (await server.api('POST', '/api-keys', { name: 'Kundtjänst', role: 'agent' })).body.key;
  });
  afterAll(() => server?.stop());

  it('verifies a caller by a code sent to their verified address; the agent only ever sees the outcome', async () => {
    // An unverified address gets no code.
    expect((await asAgent('POST', `/customers/${customerId}/verifications`, { channel: 'email', agent_id: 'anna.k' })).body).toMatchObject({ error: 'no_verified_channel' });
    expect((await asAgent('POST', `/customers/${customerId}/verifications`, { channel: 'sms' })).status).toBe(409);
    await server.api('PATCH', `/customers/${customerId}`, { email_verified: true });

    const started = await asAgent('POST', `/customers/${customerId}/verifications`, { channel: 'email', agent_id: 'anna.k' });
    expect(started.status, started.text).toBe(201);
    expect(started.body).toMatchObject({ channel: 'email', status: 'pending', agent_id: 'anna.k' });
    const message = await waitForMessage(server.url, CALLER.email);
    const code = codeIn(message.body);
    expect(message.subject).toContain('kundtjänst');
    expect(started.text).not.toContain(code);

    const wrong = await asAgent('POST', `/verifications/${started.body.id}/check`, { code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_code');
    expect(wrong.text).not.toContain(code);
    const right = await asAgent('POST', `/verifications/${started.body.id}/check`, { code });
    expect(right.status, right.text).toBe(200);
    expect(right.body.status).toBe('verified');
    expect((await asAgent('GET', `/verifications/${started.body.id}`)).body.status).toBe('verified');
    expect((await asAgent('POST', `/verifications/${started.body.id}/check`, { code })).body.error).toBe('verification_decided');
    // A misused key cannot flood the customer's inbox: the per-address send limit applies (5 by default).
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) statuses.push((await asAgent('POST', `/customers/${customerId}/verifications`, { channel: 'email' })).status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
  });

  it('verifies a caller who approves the prompt in their signed-in account, and records a denial too', async () => {
    const started = (await asAgent('POST', `/customers/${customerId}/verifications`, { channel: 'portal', agent_id: 'bo.l' })).body;
    const denied = (await asAgent('POST', `/customers/${customerId}/verifications`, { channel: 'portal', agent_id: 'bo.l' })).body;
    const customer = new CookieAgent();
    expect(await customer.authorize(`${server.url}/account/verifications`, server.url, CALLER)).toBe(`${server.url}/account/verifications`);
    const page = await (await customer.request(`${server.url}/account/verifications`)).text();
    expect(page).toContain('is this you on the phone?');
    expect(page).toContain(started.id);
    expect((await customer.postForm(`${server.url}/account/verifications/${started.id}`, { csrf: 'forged', decision: 'approve' })).status).toBe(403);
    expect((await customer.postForm(`${server.url}/account/verifications/${started.id}`, { csrf: csrfOf(page), decision: 'approve' })).headers.get('location')).toBe('/account/verifications?done=approve');
    await customer.postForm(`${server.url}/account/verifications/${denied.id}`, { csrf: csrfOf(page), decision: 'deny' });
    expect((await asAgent('GET', `/verifications/${started.id}`)).body.status).toBe('verified');
    expect((await asAgent('GET', `/verifications/${denied.id}`)).body.status).toBe('denied');
    // A portal verification cannot be decided by a code, nor answered by another customer.
    expect((await asAgent('POST', `/verifications/${started.id}/check`, { code: '123456' })).status).toBe(400);
  });

  it("shows every verification in the customer's timeline with the agent, and the channels they sign in through", async () => {
    const timeline = await asAgent('GET', `/customers/${customerId}/timeline?limit=200`);
    expect(timeline.status, timeline.text).toBe(200);
    const keyId = `key:${agentKey.split('.')[0]}`;
    const verifications = timeline.body.entries.filter((entry: { action: string }) => entry.action.startsWith('caller_verification.'));
    const count = (action: string) => verifications.filter((entry: { action: string }) => entry.action === `caller_verification.${action}`).length;
    expect([count('verified'), count('denied')]).toEqual([2, 1]);
    expect(count('started')).toBeGreaterThanOrEqual(3);
    for (const entry of verifications.filter((entry: { action: string }) => entry.action === 'caller_verification.started')) {
      expect(entry.actor).toEqual({ type: 'operator', id: keyId });
      expect(['anna.k', 'bo.l', null]).toContain(entry.details.agent_id);
    }
    expect(timeline.body.channels).toEqual([expect.objectContaining({ client_id: 'portvakt-account', sign_ins: 1 })]);
    // Newest first, in pages.
    const first = await asAgent('GET', `/customers/${customerId}/timeline?limit=2`);
    expect(first.body.entries).toHaveLength(2);
    const second = await asAgent('GET', `/customers/${customerId}/timeline?limit=2&before=${first.body.next}`);
    expect(second.body.entries[0].seq).toBeLessThan(first.body.entries[1].seq);
    // An integration key sees none of it.
    const integration = (await server.api('POST', '/api-keys', { name: 'CRM', role: 'integration', systems: ['crm'] })).body.key;
    const refused = await fetch(`${server.url}/api/v1/customers/${customerId}/timeline`, { headers: { authorization: `Bearer ${integration}` } });
    expect(refused.status).toBe(403);
  });
});
