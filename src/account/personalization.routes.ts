import type { FastifyInstance } from 'fastify';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../consent/consent-purposes.ts';
import type { AccountSteps } from '../http/account-step.ts';
import { sendPage } from '../http/page-reply.ts';
import { accountPersonalizationPage } from '../pages/account-personalization.page.ts';
import type { Personalization } from '../personalization/personalization.ts';

const PATH = '/account/personalization';

/** `/account/personalization`: which segments the customer is in and why, and the withdrawal of the gating consent one click away (posted to /account/consents, which brings the browser back here). */
export function personalizationPageRoutes(app: FastifyInstance, deps: { accountSteps: AccountSteps; personalization: Personalization; purposes: ConsentPurposes; ledger: ConsentLedger }): void {
  const { accountSteps, personalization } = deps;
  const gate = personalization.settings.purpose;

  accountSteps.mount(app, {
    method: 'GET',
    path: PATH,
    back: PATH,
    handle: async ({ request, reply, session, page, csrfToken }) => {
      const [purpose, memberships, kept] = await Promise.all([deps.purposes.current(gate).catch(() => undefined), personalization.segmentsOf(session.accountId), personalization.signals.countOf(session.accountId)]);
      const consented = (await deps.ledger.notGranted(session.accountId, [gate])).length === 0;
      const done = (request.query as Record<string, unknown> | undefined)?.done === 'withdrawn';
      return sendPage(
        reply,
        200,
        accountPersonalizationPage(page, {
          csrf: csrfToken(),
          consented,
          purpose: purpose ? { key: purpose.key, title: purpose.texts[page.locale].title, version: purpose.version } : null,
          signals: kept,
          retentionDays: personalization.settings.retentionDays,
          segments: memberships.map((membership) => ({ key: membership.segment, title: membership.texts[page.locale].title, reason: membership.texts[page.locale].reason, dated: membership.reason?.occurred_at ?? null })),
          ...(done ? { notice: page.t('personalization.withdrawn') } : {}),
        }),
      );
    },
  });
}
