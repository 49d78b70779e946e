import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import { verificationPage, type VerificationView } from '../pages/console/verification.page.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { domainText } from './field-errors.ts';

const idParams = z.object({ id: z.uuid() });
const checkForm = z.object({ code: z.string().trim().min(1).max(20) });

/** `/console/verifications/:id`: watching a caller's identification turn verified or not, and checking a code they read out. */
export function consoleVerificationRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const view = async (input: ConsoleInput, id: string): Promise<VerificationView> => {
    const found = await input.run('GET', '/verifications/:id', { params: { id } });
    return { id, customerId: found.customer_id, channel: found.channel, status: found.status, csrf: input.csrfToken, canCheck: input.allows('POST', '/verifications/:id/check') };
  };
  steps.mount(app, {
    method: 'GET',
    path: '/console/verifications/:id',
    operation: ['GET', '/verifications/:id'],
    params: idParams,
    handle: async (input) => sendPage(input.reply, 200, verificationPage(input.page, await view(input, input.params.id))),
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/verifications/:id/status',
    operation: ['GET', '/verifications/:id'],
    params: idParams,
    handle: async (input) => {
      const found = await input.run('GET', '/verifications/:id', { params: input.params });
      return input.reply.type('application/json').send({ status: found.status });
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/verifications/:id/check',
    operation: ['POST', '/verifications/:id/check'],
    params: idParams,
    form: checkForm,
    refuse: async (input) => sendPage(input.reply, 400, verificationPage(input.page, { ...(await view(input, input.params.id)), errors: { code: input.page.t('error.required') } })),
    handle: async (input) => {
      try {
        await input.run('POST', '/verifications/:id/check', { params: input.params, body: { code: input.form.code } });
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500 || error.status === 403) throw error;
        return sendPage(input.reply, error.status, verificationPage(input.page, { ...(await view(input, input.params.id)), errors: { code: domainText(error, input.page.t) } }));
      }
      return seeOther(input.reply, `/console/verifications/${input.params.id}`);
    },
  });
}
