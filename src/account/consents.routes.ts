import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { decidedAt, type ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../consent/consent-purposes.ts';
import { showPurposes } from '../consent/sign-up-purposes.ts';
import type { AccountSteps } from '../http/account-step.ts';
import { sendPage } from '../http/page-reply.ts';
import { accountConsentsPage } from '../pages/account-consents.page.ts';
import { text } from '../validation/text.ts';

/** `back`: the page the decision was taken on (the withdrawal on /account/personalization comes back there). */
const decisionForm = z.strictObject({ csrf: text().max(200), version: z.coerce.number().int().min(1).max(1_000_000), decision: z.enum(['granted', 'withdrawn']), back: z.enum(['consents', 'personalization']).default('consents') });
const RETURNS = { consents: '/account/consents?done=saved', personalization: '/account/personalization?done=withdrawn' } as const;
const keyParams = z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9_]{1,63}$/) });

/** `/account/consents`: review every purpose and its history; grant or withdraw with one click. */
export function consentPageRoutes(app: FastifyInstance, deps: { accountSteps: AccountSteps; purposes: ConsentPurposes; ledger: ConsentLedger; personalization: { settings: { purpose: string } } }): void {
  const { accountSteps } = deps;

  accountSteps.mount(app, {
    method: 'GET',
    path: '/account/consents',
    back: '/account/consents',
    handle: async ({ request, reply, session, page, csrfToken }) => {
      const [purposes, states, history] = await Promise.all([deps.purposes.list().then((all) => showPurposes(all, page.locale)), deps.ledger.state(session.accountId), deps.ledger.history(session.accountId)]);
      const saved = (request.query as Record<string, unknown> | undefined)?.done === 'saved';
      return sendPage(
        reply,
        200,
        accountConsentsPage(page, {
          csrf: csrfToken(),
          purposes,
          states,
          gatingPurpose: deps.personalization.settings.purpose,
          history: history.map((record) => ({
            purpose: record.purpose_key,
            version: record.version,
            decision: record.decision,
            channel: record.channel,
            recordedAt: Number(record.recorded_at),
            source: record.source_platform === null ? null : { platform: record.source_platform, capturedAt: decidedAt(record) },
            counted: record.counts === 1,
          })),
          ...(saved ? { notice: page.t('account.done.consent_saved') } : {}),
        }),
      );
    },
  });

  accountSteps.mount(app, {
    method: 'POST',
    path: '/account/consents/:key',
    back: '/account/consents',
    params: keyParams,
    form: decisionForm,
    handle: async ({ request, reply, session, page, params, form }) => {
      await deps.ledger.record([{ purpose: params.key, version: form.version, decision: form.decision }], {
        customerId: session.accountId,
        locale: page.locale,
        channel: 'web',
        clientId: null,
        actor: { type: 'customer', id: session.accountId },
        ip: request.ip,
      });
      return reply.code(303).redirect(RETURNS[form.back], 303);
    },
  });
}
