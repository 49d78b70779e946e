import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../consent/consent-purposes.ts';
import { showPurposes } from '../consent/sign-up-purposes.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import { parseInput } from '../validation/parse-input.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { accountConsentsPage } from '../pages/account-consents.page.ts';
import { text } from '../validation/text.ts';
import { activeSession } from './active-session.ts';

const decisionForm = z.strictObject({ csrf: text().max(200), version: z.coerce.number().int().min(1).max(1_000_000), decision: z.enum(['granted', 'withdrawn']) });
const keyParams = z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9_]{1,63}$/) });

/** `/account/consents`: review every purpose and its history; grant or withdraw with one click. */
export function consentPageRoutes(app: FastifyInstance, deps: { host: ProviderHost; customers: Customers; purposes: ConsentPurposes; ledger: ConsentLedger; csrf: CsrfGuard }): void {
  app.get('/account/consents', async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return reply.code(303).redirect('/account/login?return=/account/consents', 303);
    const page = pageContextFor(request);
    const [purposes, states, history] = await Promise.all([deps.purposes.list().then((all) => showPurposes(all, page.locale)), deps.ledger.state(session.accountId), deps.ledger.history(session.accountId)]);
    const saved = (request.query as Record<string, unknown> | undefined)?.done === 'saved';
    return sendPage(
      reply,
      200,
      accountConsentsPage(page, {
        csrf: deps.csrf.token(request, reply),
        purposes,
        states,
        history: history.map((record) => ({ purpose: record.purpose_key, version: record.version, decision: record.decision, channel: record.channel, recordedAt: Number(record.recorded_at) })),
        ...(saved ? { notice: page.t('account.done.consent_saved') } : {}),
      }),
    );
  });

  app.post('/account/consents/:key', async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    if (!session) return reply.code(303).redirect('/account/login?return=/account/consents', 303);
    if (!deps.csrf.verify(request, (request.body as Record<string, unknown> | undefined)?.csrf)) throw new DomainError('csrf', 403, 'The form had expired');
    const { key } = parseInput(keyParams, request.params, 'params');
    const form = parseInput(decisionForm, request.body, 'body');
    const page = pageContextFor(request);
    await deps.ledger.record([{ purpose: key, version: form.version, decision: form.decision }], {
      customerId: session.accountId,
      locale: page.locale,
      channel: 'web',
      clientId: null,
      actor: { type: 'customer', id: session.accountId },
      ip: request.ip,
    });
    return reply.code(303).redirect('/account/consents?done=saved', 303);
  });
}
