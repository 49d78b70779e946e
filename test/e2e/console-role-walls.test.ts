import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOperator, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const ROLES = ['admin', 'agent', 'privacy_officer'] as const;
/** Queries that make an API call the one the page makes (the customer page finds one customer; it never lists them all, which only admins may). */
const SAMPLE_QUERIES: Record<string, string> = { 'GET /customers': '?email=wall@example.se' };

/**
 * One table over every console page and post (read from the running server, so a new page is in
 * it the moment it is mounted): with each role, the console answers 403 exactly when `/api/v1`
 * answers 403 to an API key of that role for the operation the page runs, and never otherwise.
 * Posts go to ids that do not exist, so nothing is changed by walking them.
 */
describe.each(DIALECTS)('console role walls on %s', (dialect) => {
  let server: RunningPortvakt;
  const operators: Partial<Record<(typeof ROLES)[number], ConsoleOperator>> = {};
  const keys: Record<string, string> = {};
  let customerId: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    customerId = (await server.api('POST', '/customers', { email: 'wall@example.se', phone_number: '+46701112233' })).body.id;
    for (const role of ROLES) {
      operators[role] = await consoleOperator(server, { email: `${role}@example.se`, roles: [role] });
      keys[role] = (await server.api('POST', '/api-keys', { name: role, role })).body.key;
    }
  });
  afterAll(() => server?.stop());

  const fill = (path: string, method: string) =>
    path.replace(/:(\w+)/g, (_match, name: string) => (name === 'id' && method === 'GET' && path.startsWith('/console/customers/') ? customerId : name === 'key' ? 'no_such_key' : randomUUID()));

  it('walks every page and post with every role', async () => {
    // Every page but the overview shows or does something of the API's, and says which operation.
    expect(server.portvakt.consoleRoutes().filter((route) => !route.operation).map((route) => `${route.method} ${route.path}`)).toEqual(['GET /console']);
    const routes = server.portvakt.consoleRoutes().filter((route) => route.operation);
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const mismatches: string[] = [];
    for (const route of routes) {
      const [method, url] = route.operation!;
      for (const role of ROLES) {
        const apiPath = `${fill(url, method)}${SAMPLE_QUERIES[`${method} ${url}`] ?? ''}`;
        const api = await fetch(`${server.url}/api/v1${apiPath}`, { method, headers: { authorization: `Bearer ${keys[role]}`, ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) }, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }) });
        const path = fill(route.path, route.method);
        const operator = operators[role]!;
        const answer = route.method === 'GET' ? await operator.page(path) : await operator.post(path, {}, '/console');
        const apiRefused = api.status === 403;
        const consoleRefused = answer.status === 403;
        if (apiRefused !== consoleRefused) mismatches.push(`${role} ${route.method} ${route.path} → console ${answer.status}, API ${method} ${url} → ${api.status}`);
        if (!consoleRefused && answer.status === 303 && answer.location?.startsWith('/console/sign-in')) mismatches.push(`${role} ${route.method} ${route.path} → sent to sign in`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('shows each role only the menu entries the API admits', async () => {
    const menu = (html: string) => [...html.matchAll(/<nav[\s\S]*?<\/nav>/g)].join('').match(/href="[^"]+"/g) ?? [];
    expect(menu((await operators.admin!.page('/console')).html)).toContain('href="/console/operators"');
    expect(menu((await operators.agent!.page('/console')).html)).toContain('href="/console/customers"');
    expect(menu((await operators.agent!.page('/console')).html)).not.toContain('href="/console/operators"');
    expect(menu((await operators.privacy_officer!.page('/console')).html)).not.toContain('href="/console/operators"');
  });
});
