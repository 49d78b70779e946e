import { readFileSync } from 'node:fs';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { ConsoleCookies } from '../console/console-cookies.ts';
import { ConsoleSteps } from '../console/console-steps.ts';
import { consoleApiKeyRoutes } from '../console/api-keys.routes.ts';
import { consoleConnectionRoutes } from '../console/connections.routes.ts';
import { consoleBrandRoutes } from '../console/brands.routes.ts';
import { consoleClientRoutes } from '../console/clients.routes.ts';
import { consoleConsentPurposeRoutes } from '../console/consent-purposes.routes.ts';
import { consoleCustomerRoutes } from '../console/customers.routes.ts';
import { consoleInvitationRoutes } from '../console/invitation.routes.ts';
import { consoleOperatorRoutes } from '../console/operators.routes.ts';
import { consolePrivacyOverviewRoutes } from '../console/privacy-overview.routes.ts';
import { consolePrivacyRequestRoutes } from '../console/privacy-requests.routes.ts';
import { consoleProfileSchemaRoutes } from '../console/profile-schema.routes.ts';
import { consoleSettingsRoutes } from '../console/settings.routes.ts';
import { consoleSignInRoutes } from '../console/sign-in.routes.ts';
import { consoleSigningKeyRoutes } from '../console/signing-keys.routes.ts';
import { consoleVerificationRoutes } from '../console/verifications.routes.ts';
import { consoleWebhookRoutes } from '../console/webhooks.routes.ts';
import { consoleWorkforceRoutes } from '../console/workforce.routes.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import { sendPage } from '../http/page-reply.ts';
import { homePage } from '../pages/console/home.page.ts';
import type { Services } from './services.ts';

const stylesheet = readFileSync(new URL('../pages/assets/console.css', import.meta.url));
const script = readFileSync(new URL('../pages/assets/console.js', import.meta.url));
const FORM_BODY_LIMIT = 64 * 1024;

/**
 * `/console`: the operator console, server-rendered with the hosted pages' layout rules and CSP.
 * Every page and post runs a management operation through `api` as the signed-in operator, so
 * the console allows exactly what `/api/v1` allows their roles.
 */
export async function mountConsole(app: FastifyInstance, services: Services, api: ApiRegistry): Promise<ConsoleSteps> {
  const { config, operators, csrf } = services;
  app.get('/assets/console.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet));
  app.get('/assets/console.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(script));
  const cookies = new ConsoleCookies(config.issuer);
  const steps = new ConsoleSteps({ api, sessions: operators.sessions, accounts: operators.accounts, csrf, cookies });
  await app.register(async (pages) => {
    pages.removeAllContentTypeParsers();
    await pages.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });
    consoleSignInRoutes(pages, { steps, csrf, cookies, signIn: operators.signIn, sessions: operators.sessions, idleMinutes: Math.round(config.consoleIdleMs / 60_000), workforce: operators.workforce?.settings.label });
    if (operators.workforce) consoleWorkforceRoutes(pages, { steps, cookies, workforce: operators.workforce });
    consoleInvitationRoutes(pages, { steps, csrf, cookies, enrolment: operators.enrolment, passwordMinLength: Math.max(config.passwordMinLength, 12) });
    steps.mount(pages, { method: 'GET', path: '/console', handle: async (input) => sendPage(input.reply, 200, homePage(input.page)) });
    consoleCustomerRoutes(pages, { steps, accounts: operators.accounts });
    consoleVerificationRoutes(pages, steps);
    consoleOperatorRoutes(pages, steps);
    consoleClientRoutes(pages, steps);
    await consoleBrandRoutes(pages, steps);
    await consoleConsentPurposeRoutes(pages, steps);
    consoleSigningKeyRoutes(pages, steps);
    consolePrivacyRequestRoutes(pages, steps);
    consolePrivacyOverviewRoutes(pages, steps);
    consoleSettingsRoutes(pages, steps);
    consoleApiKeyRoutes(pages, steps);
    consoleProfileSchemaRoutes(pages, steps);
    consoleWebhookRoutes(pages, steps);
    consoleConnectionRoutes(pages, steps);
  });
  return steps;
}
