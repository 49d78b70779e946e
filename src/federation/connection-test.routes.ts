import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import type { ConnectionTests } from './connection-tests.ts';

const keyParams = z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/) });
const testParams = keyParams.extend({ test: z.string().regex(/^[A-Za-z0-9_-]{22}$/) });

const resultOutput = z.discriminatedUnion('outcome', [
  z.object({
    outcome: z.literal('passed'),
    subject: z.string().describe("The upstream's subject of whoever signed in"),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    email_trusted: z.boolean().describe('A sign-up through this connection would take the address as proven'),
    given_name: z.string().nullable(),
    family_name: z.string().nullable(),
    linked: z.boolean().describe('A customer here already signs in with this upstream identity'),
  }),
  z.object({
    outcome: z.literal('failed'),
    reason: z.string().describe('denied, unavailable, invalid, tenant'),
    cause: z.string().nullable().describe('What failed underneath: timeout, dns, tls, http_status, issuer_mismatch, provider_error, invalid_response, …'),
    detail: z.string().describe('A sentence that names no secret'),
  }),
]);

/** `/connections/{key}/tests`: a real sign-in at the upstream through a connection, that signs nobody in. */
export function connectionTestRoutes(app: FastifyInstance, api: ApiRegistry, tests: ConnectionTests): void {
  api.add(app, {
    method: 'POST',
    url: '/connections/:key/tests',
    tag: 'connections',
    roles: ['admin'],
    summary:
      "Test a connection, enabled or not: the provider is checked first (discovery; issuer_unreachable with details.cause), then open `authorization_url` in a browser and sign in there. The answer comes back to the connection's redirect_uri and on to the console's result page",
    params: keyParams,
    body: z.strictObject({ locale: z.enum(['sv', 'en']).default('en').describe('The language asked of the provider and of the page the browser comes back to') }).default({ locale: 'en' }),
    status: 201,
    response: z.object({ id: z.string(), authorization_url: z.string(), redirect_uri: z.string() }),
    handler: async ({ params, body, operator }) => {
      const started = await tests.start(params.key, operator.id, body.locale);
      return { id: started.id, authorization_url: started.authorizationUrl, redirect_uri: started.redirectUri };
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/connections/:key/tests/:test/result',
    tag: 'connections',
    roles: ['admin'],
    summary: "What a test found, once, to the operator who started it: the code exchanged and checked as a sign-in would, and who the upstream says signed in; or why it failed (409 test_unanswered before the provider's answer came)",
    params: testParams,
    status: 200,
    response: resultOutput,
    handler: async ({ params, operator }) => tests.result(params.test, params.key, operator.id),
  });
}
