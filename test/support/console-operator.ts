import type { Page } from 'playwright-core';
import { authenticatorCode } from './authenticator-app.ts';
import { CookieAgent, csrfOf } from './cookie-agent.ts';
import type { RunningPortvakt } from './portvakt-server.ts';

export const OPERATOR_PASSWORD = 'console passphrase for tests 2026';

/** A signed-in console operator: a browser without a screen, with their TOTP secret for fresh sign-ins. */
export interface ConsoleOperator {
  id: string;
  email: string;
  secret: string;
  agent: CookieAgent;
  /** GET a console page: status and HTML. */
  page(path: string): Promise<{ status: number; html: string; location: string | null }>;
  /** POST a console form with the CSRF token of `from` (a page path; default the form's own page). */
  post(path: string, fields: Record<string, string | string[]>, from?: string): Promise<{ status: number; html: string; location: string | null }>;
}

/** Invites an operator through the API (admin key), takes the invitation with a password and TOTP, and answers them signed in. */
export async function consoleOperator(server: RunningPortvakt, input: { email: string; name?: string; roles: string[] }): Promise<ConsoleOperator> {
  const invited = await server.api('POST', '/operators', { email: input.email, name: input.name ?? input.email.split('@')[0], roles: input.roles });
  if (invited.status !== 201) throw new Error(`invite answered ${invited.status}: ${JSON.stringify(invited.body)}`);
  const agent = new CookieAgent();
  const link: string = invited.body.invitation_url;
  const offer = await (await agent.request(link)).text();
  const secret = /<code>([A-Z2-7]+)<\/code>/.exec(offer)?.[1];
  const ticket = /name="ticket" value="([^"]+)"/.exec(offer)?.[1];
  if (!secret || !ticket) throw new Error('no TOTP offer on the invitation page');
  const taken = await agent.postForm(`${link}/totp`, { csrf: csrfOf(offer), ticket, password: OPERATOR_PASSWORD, code: authenticatorCode(secret) });
  if (taken.status !== 303) throw new Error(`invitation answered ${taken.status}: ${(await taken.text()).slice(0, 500)}`);
  return withPages(server, agent, { id: invited.body.operator.id, email: input.email.toLowerCase(), secret });
}

/** The three console roles of the tests, each signed in: an administrator, a customer-service agent and a privacy officer. */
export interface ConsoleTeam {
  admin: ConsoleOperator;
  agent: ConsoleOperator;
  privacy: ConsoleOperator;
}

export async function consoleTeam(server: RunningPortvakt): Promise<ConsoleTeam> {
  const [admin, agent, privacy] = await Promise.all([
    consoleOperator(server, { email: 'admin@example.se', name: 'Anna Admin', roles: ['admin'] }),
    consoleOperator(server, { email: 'agent@example.se', name: 'Sven Agent', roles: ['agent'] }),
    consoleOperator(server, { email: 'privacy@example.se', name: 'Petra Privacy', roles: ['privacy_officer'] }),
  ]);
  return { admin, agent, privacy };
}

export function withPages(server: RunningPortvakt, agent: CookieAgent, who: { id: string; email: string; secret: string }): ConsoleOperator {
  const read = async (response: Response) => ({ status: response.status, html: await response.text(), location: response.headers.get('location') });
  const page = async (path: string) => read(await agent.request(`${server.url}${path}`));
  return {
    ...who,
    agent,
    page,
    async post(path, fields, from) {
      const form = await page(from ?? path.slice(0, path.lastIndexOf('/')));
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.html)?.[1] ?? '';
      return read(await agent.postForm(`${server.url}${path}`, { csrf, ...fields }));
    },
  };
}

/** Signs an operator in through the console's pages: e-mail and password, then the app's code. */
export async function signInWithCode(page: Page, url: string, who: { email: string; secret: string }): Promise<void> {
  await page.goto(`${url}/console/sign-in`);
  await page.locator('#field-email').fill(who.email);
  await page.locator('#field-password').fill(OPERATOR_PASSWORD);
  await page.locator('form button.primary').click();
  await page.waitForURL(/\/console\/sign-in\/code/);
  // The next step's code: the enrolment used the current one, and a code is good once.
  await page.locator('#field-code').fill(authenticatorCode(who.secret, Date.now() + 30_000));
  await page.locator('form button.primary').click();
  await page.waitForURL(`${url}/console`);
}

