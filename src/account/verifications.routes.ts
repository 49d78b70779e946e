import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CallerVerifications } from '../customer-service/caller-verifications.ts';
import type { AccountSteps } from '../http/account-step.ts';
import { sendPage } from '../http/page-reply.ts';
import { accountVerificationsPage } from '../pages/account-verifications.page.ts';
import { text } from '../validation/text.ts';

const RETURN = '/account/verifications';
const answerForm = z.strictObject({ csrf: text().max(200), decision: z.enum(['approve', 'deny']) });
const idParams = z.strictObject({ id: z.uuid() });

/** `/account/verifications`: the customer confirms (or denies) that they are the one talking to customer service. */
export function verificationPageRoutes(app: FastifyInstance, deps: { accountSteps: AccountSteps; verifications: CallerVerifications }): void {
  const { accountSteps } = deps;

  accountSteps.mount(app, {
    method: 'GET',
    path: RETURN,
    back: RETURN,
    handle: async ({ request, reply, session, page, csrfToken }) => {
      const done = (request.query as Record<string, unknown> | undefined)?.done;
      return sendPage(
        reply,
        200,
        accountVerificationsPage(page, {
          csrf: csrfToken(),
          pending: await deps.verifications.pendingFor(session.accountId),
          ...(done === 'approve' || done === 'deny' ? { notice: page.t(`account.verifications.done_${done}`) } : {}),
        }),
      );
    },
  });

  accountSteps.mount(app, {
    method: 'POST',
    path: `${RETURN}/:id`,
    back: RETURN,
    params: idParams,
    form: answerForm,
    handle: async ({ reply, session, params, form }) => {
      await deps.verifications.answer(session.accountId, params.id, form.decision === 'approve');
      return reply.code(303).redirect(`${RETURN}?done=${form.decision}`, 303);
    },
  });
}
