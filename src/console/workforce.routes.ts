import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import { html } from '../markup/html.ts';
import type { WorkforceSignIn } from '../operators/workforce-sign-in.ts';
import { consoleLayout } from '../pages/console/console-layout.ts';
import { forbiddenPage } from '../pages/console/forbidden.page.ts';
import type { ConsoleCookies } from './console-cookies.ts';
import type { ConsoleSteps } from './console-steps.ts';
import { domainText } from './field-errors.ts';
import { consoleReturn } from './sign-in.routes.ts';

/**
 * `/console/sign-in/workforce`: off to the company's provider and back. The callback answers a
 * page that moves on by itself (meta refresh, no script): the session cookie is SameSite=Strict,
 * and a redirect chain that began at the provider would not carry it to the next page.
 */
export function consoleWorkforceRoutes(app: FastifyInstance, deps: { steps: ConsoleSteps; cookies: ConsoleCookies; workforce: WorkforceSignIn }): void {
  app.get('/console/sign-in/workforce', async (request, reply) => {
    try {
      const started = await deps.workforce.start(consoleReturn(request));
      deps.cookies.setWorkforce(reply, started.ticket);
      return seeOther(reply, started.url);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const page = deps.steps.anonymousPage(request, reply);
      return sendPage(reply, 502, forbiddenPage(page, domainText(error, page.t)));
    }
  });
  app.get('/console/sign-in/workforce/callback', async (request, reply) => {
    const page = deps.steps.anonymousPage(request, reply);
    const ticket = deps.cookies.workforce(request);
    deps.cookies.clearWorkforce(reply);
    try {
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const done = await deps.workforce.finish(query, ticket);
      deps.cookies.setSession(reply, done.session);
      return sendPage(reply, 200, consoleLayout(page, page.t('signin.title'), html`<meta http-equiv="refresh" content="0;url=${done.back}"><p><a class="button primary" href="${done.back}">${page.t('signin.submit')}</a></p>`));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return sendPage(reply, error.status, forbiddenPage(page, domainText(error, page.t)));
    }
  });
}
