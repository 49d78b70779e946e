import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { UpstreamIdp } from '../support/upstream-idp.ts';

const SECRET = 'workforce-client-secret-0123456789';
const ADMINS = '6b1c2f3e-admins';
const SERVICE = 'kundtjanst';

/**
 * Console sign-in through the company's workforce provider: a real second oidc-provider plays
 * Entra ID with a groups claim. The groups give the roles at every sign-in; no group, no console.
 */
describe.each(DIALECTS)('workforce sign-in to the console on %s', (dialect) => {
  let server: RunningPortvakt;
  let upstream: UpstreamIdp;

  beforeAll(async () => {
    const port = await freePort();
    server = await startPortvakt(dialect, {
      CONSOLE_OIDC_ISSUER: `http://127.0.0.1:${port}`,
      CONSOLE_OIDC_CLIENT_ID: 'portvakt',
      CONSOLE_OIDC_CLIENT_SECRET: SECRET,
      CONSOLE_OIDC_GROUP_ROLES: `${ADMINS}=admin,${SERVICE}=agent`,
      CONSOLE_OIDC_LABEL: 'Contoso (Entra ID)',
    });
    upstream = await UpstreamIdp.start([`${server.url}/console/sign-in/workforce/callback`], SECRET, port);
  });
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  /** Through the provider and back; answers the agent and the callback's answer. */
  async function signIn(agent = new CookieAgent()): Promise<{ agent: CookieAgent; status: number; html: string }> {
    const page = await (await agent.request(`${server.url}/console/sign-in`)).text();
    expect(page).toContain('Sign in with Contoso (Entra ID)');
    const started = await agent.request(`${server.url}/console/sign-in/workforce?return=%2Fconsole%2Fcustomers`);
    expect(started.status).toBe(303);
    const ticket = started.headers.getSetCookie().find((cookie) => cookie.startsWith('pv_console_workforce='))!;
    expect(ticket).toMatch(/SameSite=Lax/);
    let location = started.headers.get('location')!;
    expect(location).toContain('code_challenge_method=S256');
    for (let hops = 0; hops < 10 && !location.startsWith(`${server.url}/console/sign-in/workforce/callback`); hops++) {
      const response = await agent.request(new URL(location, upstream.issuer).toString());
      location = new URL(response.headers.get('location')!, upstream.issuer).toString();
    }
    const callback = await agent.request(location);
    return { agent, status: callback.status, html: await callback.text() };
  }

  it('signs a member of a mapped group in with the roles the groups give, no second factor asked', async () => {
    upstream.signedInAs = { sub: 'entra-1', email: 'Eva.Ek@contoso.example', email_verified: true, name: 'Eva Ek', groups: [SERVICE, 'other-group'] };
    const { agent, status, html } = await signIn();
    expect(status).toBe(200);
    expect(html).toContain('<meta http-equiv="refresh" content="0;url=/console/customers">');
    const customers = await agent.request(`${server.url}/console/customers`);
    expect(customers.status).toBe(200);
    expect(await customers.text()).toContain('Signed in as Eva Ek (customer service)');
    expect((await agent.request(`${server.url}/console/operators`)).status).toBe(403);
    const operators = (await server.api('GET', '/operators')).body.operators as Array<{ email: string; roles: string[]; status: string }>;
    expect(operators.find((operator) => operator.email === 'eva.ek@contoso.example')).toMatchObject({ roles: ['agent'], status: 'active' });
    const session = await server.portvakt.store.db.selectFrom('operator_sessions').select('second_factor').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(session.second_factor).toBe('workforce');
  });

  it('brings the roles in line with the groups at the next sign-in', async () => {
    upstream.signedInAs = { sub: 'entra-1', email: 'eva.ek@contoso.example', email_verified: true, name: 'Eva Ek', groups: [ADMINS] };
    const { agent, status } = await signIn();
    expect(status).toBe(200);
    expect((await agent.request(`${server.url}/console/operators`)).status).toBe(200);
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select(['action', 'actor_id']).where('action', '=', 'operator.changed').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(audit).toEqual({ action: 'operator.changed', actor_id: 'workforce' });
  });

  it('refuses a person in no mapped group, and a callback without its ticket', async () => {
    upstream.signedInAs = { sub: 'entra-2', email: 'olle@contoso.example', email_verified: true, groups: ['everyone'] };
    const { agent, status, html } = await signIn();
    expect(status).toBe(403);
    expect(html).toContain('Your groups give no console role');
    expect((await agent.request(`${server.url}/console`)).status).toBe(303);
    expect((await server.api('GET', '/operators')).body.operators.map((operator: { email: string }) => operator.email)).not.toContain('olle@contoso.example');
    const forged = await new CookieAgent().request(`${server.url}/console/sign-in/workforce/callback?code=abc&state=xyz`);
    expect(forged.status).toBe(400);
  });

  it('keeps a disabled operator out', async () => {
    const bo = (await server.api('POST', '/operators', { email: 'bo@contoso.example', name: 'Bo', roles: ['agent'] })).body.operator;
    expect((await server.api('PATCH', `/operators/${bo.id}`, { status: 'disabled' })).status).toBe(200);
    upstream.signedInAs = { sub: 'entra-3', email: 'bo@contoso.example', email_verified: true, groups: [ADMINS] };
    const { status } = await signIn();
    expect(status).toBe(403);
  });
});
