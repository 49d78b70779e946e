import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import { connectionTestPage, type TestOutcome } from '../pages/console/connection-test.page.ts';
import type { ConnectionValues } from '../pages/console/connections.page.ts';
import type { OfferValues } from '../pages/console/connection.page.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { connectionRefusal } from './connection-refusals.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { correctable } from './operation-refusals.ts';

/** A connection's key in a console path. */
export const keyParams = z.object({ key: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/) });
const testParams = keyParams.extend({ test: z.string().regex(/^[A-Za-z0-9_-]{22}$/) });

/** The connection's page drawn again (connections.routes.ts), with what was typed and why it was refused. */
export type DrawConnection = (input: ConsoleInput, status: number, key: string, extra?: { values?: ConnectionValues; errors?: FieldErrors; offer?: OfferValues; notice?: string | undefined }) => Promise<unknown>;

/**
 * "Test this connection": a real sign-in at the provider through the connection (its client,
 * secret and registered redirect URI), started here and read back on the result page once the
 * provider answered (connection-tests.ts). A provider that cannot be used is told at once, with its cause.
 */
export function consoleConnectionTestRoutes(app: FastifyInstance, steps: ConsoleSteps, drawConnection: DrawConnection): void {
  steps.mount(app, {
    method: 'POST',
    path: '/console/connections/:key/test',
    operation: ['POST', '/connections/:key/tests'],
    params: keyParams,
    handle: async (input) => {
      let started: { authorization_url: string };
      try {
        started = await input.run('POST', '/connections/:key/tests', { params: input.params, body: { locale: input.page.locale } });
      } catch (error) {
        const refused = correctable(error);
        return drawConnection(input, refused.status, input.params.key, { errors: connectionRefusal(refused, input.page) });
      }
      return seeOther(input.reply, started.authorization_url);
    },
  });
  // Reached from the page the provider's answer landed on; what the test found is shown once.
  steps.mount(app, {
    method: 'GET',
    path: '/console/connections/:key/tests/:test',
    operation: ['POST', '/connections/:key/tests/:test/result'],
    params: testParams,
    handle: async (input) => {
      const { key } = input.params;
      let result: TestOutcome;
      let status = 200;
      try {
        result = await input.run('POST', '/connections/:key/tests/:test/result', { params: input.params });
      } catch (error) {
        if (!(error instanceof DomainError) || (error.status !== 404 && error.code !== 'test_unanswered')) throw error;
        result = { outcome: error.status === 404 ? 'used' : 'waiting' };
        status = error.status;
      }
      const connection = await input.run<{ name: string }>('GET', '/connections/:key', { params: { key } });
      return sendPage(input.reply, status, connectionTestPage(input.page, { csrf: input.csrfToken, key, name: connection.name, result, canTest: input.allows('POST', '/connections/:key/tests') }));
    },
  });
}
