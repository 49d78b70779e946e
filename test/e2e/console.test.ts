import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatorCode } from '../support/authenticator-app.ts';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { consoleOperator, OPERATOR_PASSWORD, withPages, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * The operator console over HTTP (the Chromium suites cover passkeys, layout and accessibility):
 * operators are invited, take the link with a second factor, sign in with password and code,
 * and every page and post runs the management operation of the same name as them.
 */
describe.each(DIALECTS)('console on %s', (dialect) => {
  let server: RunningPortvakt;
  let admin: ConsoleOperator;
  let customerId: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    admin = await consoleOperator(server, { email: 'Admin@Example.se', name: 'Anna Admin', roles: ['admin'] });
    customerId = (await server.api('POST', '/customers', { email: 'kund@example.se', given_name: 'Karin', family_name: 'Öberg', phone_number: '+46701234567' })).body.id;
  });
  afterAll(() => server?.stop());

  it('makes the first admin from the command line: a one-time invitation link, valid once', async () => {
    const cli = spawnSync(process.execPath, ['src/cli.ts', 'operators', 'create', '--email', 'first@example.se', '--role', 'admin'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: server.database.url, PORTVAKT_SECRET: 'test-secret-that-is-long-enough-0123456789', ISSUER: server.url, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    expect(cli.status, cli.stderr).toBe(0);
    const printed = JSON.parse(cli.stdout) as { invitation_url: string; roles: string[] };
    expect(printed.roles).toEqual(['admin']);
    expect(printed.invitation_url).toMatch(new RegExp(`^${server.url}/console/invitation/[A-Za-z0-9_-]{43}$`));
    const agent = new CookieAgent();
    const offer = await (await agent.request(printed.invitation_url)).text();
    const secret = /<code>([A-Z2-7]+)<\/code>/.exec(offer)![1]!;
    const fields = { csrf: csrfOf(offer), ticket: /name="ticket" value="([^"]+)"/.exec(offer)![1]!, password: OPERATOR_PASSWORD, code: authenticatorCode(secret) };
    // A bad code writes nothing: the link still works, and then it works once.
    const wrong = await agent.postForm(`${printed.invitation_url}/totp`, { ...fields, code: '000000' === fields.code ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('The code is wrong');
    const taken = await agent.postForm(`${printed.invitation_url}/totp`, fields);
    expect(taken.status).toBe(303);
    expect(taken.headers.get('location')).toBe('/console');
    const home = await agent.request(`${server.url}/console`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('href="/console/operators"');
    const again = await new CookieAgent().request(printed.invitation_url);
    expect(again.status).toBe(400);
  });

  it('sets the session cookie on /console only, HttpOnly and SameSite=Strict', async () => {
    const agent = new CookieAgent();
    const signIn = await (await agent.request(`${server.url}/console/sign-in`)).text();
    const password = await agent.postForm(`${server.url}/console/sign-in`, { csrf: csrfOf(signIn), email: admin.email, password: OPERATOR_PASSWORD });
    expect(password.status).toBe(303);
    const codePage = await (await agent.request(`${server.url}/console/sign-in/code`)).text();
    const signedIn = await agent.postForm(`${server.url}/console/sign-in/code`, { csrf: csrfOf(codePage), code: authenticatorCode(admin.secret, Date.now() + 30_000) });
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.getSetCookie().find((value) => value.startsWith('pv_console='))!;
    expect(cookie).toMatch(/Path=\/console/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    // The code is good once.
    const replay = new CookieAgent();
    const page = await (await replay.request(`${server.url}/console/sign-in`)).text();
    await replay.postForm(`${server.url}/console/sign-in`, { csrf: csrfOf(page), email: admin.email, password: OPERATOR_PASSWORD });
    const second = await replay.postForm(`${server.url}/console/sign-in/code`, { csrf: csrfOf(page), code: authenticatorCode(admin.secret, Date.now() + 30_000) });
    expect(second.status).toBe(400);
  });

  it('sends a browser without a console session to sign in, and a customer session opens nothing here', async () => {
    const response = await new CookieAgent().request(`${server.url}/console/customers`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/console/sign-in?return=%2Fconsole%2Fcustomers');
  });

  it('finds a customer by e-mail and shows the customer view to an agent', async () => {
    const agent = await consoleOperator(server, { email: 'agent@example.se', name: 'Sven Agent', roles: ['agent'] });
    const found = await agent.page('/console/customers?kind=email&q=KUND%40example.se');
    expect(found.status).toBe(200);
    expect(found.html).toContain(`href="/console/customers/${customerId}"`);
    const view = await agent.page(`/console/customers/${customerId}`);
    expect(view.status).toBe(200);
    expect(view.html).toContain('Karin Öberg');
    expect(view.html).toContain('Identify the caller');
    expect(view.html).not.toContain('File an erasure request');
    // The menu never shows what the role may not do, and the page refuses as the API would.
    expect(view.html).not.toContain('href="/console/operators"');
    expect((await agent.page('/console/operators')).status).toBe(403);
  });

  it('refuses a form without its CSRF token and writes nothing', async () => {
    const response = await admin.agent.postForm(`${server.url}/console/operators`, { name: 'X', email: 'x@example.se', roles: 'agent' });
    expect(response.status).toBe(403);
    expect((await server.api('GET', '/operators')).body.operators.map((o: { email: string }) => o.email)).not.toContain('x@example.se');
  });

  it('shows field errors in the page language, 400, nothing written', async () => {
    const refused = await admin.post('/console/operators', { name: '', email: 'not-an-address', roles: [] }, '/console/operators');
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Type an e-mail address such as name@example.com.');
    expect(refused.html).toContain('Choose at least one role.');
    const before = (await server.api('GET', '/operators')).body.operators.length;
    await admin.page('/console/operators?lang=sv');
    const svenska = await admin.post('/console/operators', { name: 'Y', email: 'nej', roles: 'agent' }, '/console/operators');
    expect(svenska.status).toBe(400);
    expect(svenska.html).toContain('Skriv en e-postadress');
    await admin.page('/console/operators?lang=en');
    expect((await server.api('GET', '/operators')).body.operators.length).toBe(before);
  });

  it("invites an operator from the console; the audit log names the operator who did it", async () => {
    const invited = await admin.post('/console/operators', { name: 'Petra Privacy', email: 'petra@example.se', roles: 'privacy_officer' }, '/console/operators');
    expect(invited.status).toBe(201);
    expect(invited.html).toMatch(/\/console\/invitation\/[A-Za-z0-9_-]{43}/);
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select(['action', 'actor_id']).where('action', '=', 'operator.invited').orderBy('seq', 'desc').executeTakeFirst();
    expect(audit).toEqual({ action: 'operator.invited', actor_id: `operator:${admin.id}` });
    // The list shows the invitation; the link is never shown again.
    const list = await admin.page('/console/operators');
    expect(list.html).toContain('petra@example.se');
    expect(list.html).not.toMatch(/\/console\/invitation\//);
  });

  it('asks for a fresh sign-in before a sensitive operation', async () => {
    await server.portvakt.store.db.updateTable('operator_sessions').set({ authenticated_at: Date.now() - 11 * 60_000 }).where('operator_id', '=', admin.id).execute();
    const stale = await admin.post('/console/operators', { name: 'Late', email: 'late@example.se', roles: 'agent' }, '/console/operators');
    expect(stale.status).toBe(303);
    expect(stale.location).toBe('/console/sign-in?return=%2Fconsole&fresh=1');
    expect((await admin.page('/console/operators')).status).toBe(200);
  });

  it('ends an idle session', async () => {
    const agent = await consoleOperator(server, { email: 'idle@example.se', roles: ['agent'] });
    await server.portvakt.store.db.updateTable('operator_sessions').set({ last_seen_at: Date.now() - 31 * 60_000 }).where('operator_id', '=', agent.id).execute();
    const page = await agent.page('/console');
    expect(page.status).toBe(303);
    expect(page.location).toBe('/console/sign-in?return=%2Fconsole&idle=1');
    expect(await server.portvakt.store.db.selectFrom('operator_sessions').select('id_hash').where('operator_id', '=', agent.id).execute()).toEqual([]);
  });

  it('throttles operator sign-in and audits failures', async () => {
    const target = await consoleOperator(server, { email: 'throttled@example.se', roles: ['agent'] });
    const agent = new CookieAgent();
    const page = await (await agent.request(`${server.url}/console/sign-in`)).text();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      statuses.push((await agent.postForm(`${server.url}/console/sign-in`, { csrf: csrfOf(page), email: target.email, password: 'wrong password here' })).status);
    }
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses.at(-1)).toBe(429);
    const failures = await server.portvakt.store.db.selectFrom('audit_log').select('subject_id').where('action', '=', 'operator.sign_in_failed').execute();
    expect(failures.filter((row) => row.subject_id === target.id).length).toBe(5);
  });

  it('keeps operators and customers apart: an operator session opens no account page', async () => {
    const response = await admin.agent.request(`${server.url}/account/security`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/account\/login/);
    expect(withPages).toBeTypeOf('function');
  });
});
