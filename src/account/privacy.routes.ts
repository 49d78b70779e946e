import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Customers } from '../customers/customers.ts';
import { customerActor } from '../events/audit-log.ts';
import { parseInput } from '../validation/parse-input.ts';
import type { AccountSteps } from '../http/account-step.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import type { BrowserSession } from '../oidc/browser-session.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { accountPrivacyPage } from '../pages/account-privacy.page.ts';
import { messagePage } from '../pages/message.page.ts';
import type { DataMap } from '../privacy/data-map.ts';
import type { PrivacyExports } from '../privacy/privacy-exports.ts';
import type { PrivacyRequests } from '../privacy/privacy-requests.ts';
import { text } from '../validation/text.ts';
import { activeSession } from './active-session.ts';
import { isFresh } from './freshness.ts';

const erasureForm = z.strictObject({ csrf: text().max(200), confirm: z.literal('yes').optional() });
const exportForm = z.strictObject({ csrf: text().max(200) });
const tokenParams = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });
const RETURN = '/account/privacy';

/**
 * `/account/privacy`: the customer sees where their data is, asks for a download of all of it, or
 * asks for their account to be deleted everywhere. Asking needs a sign-in from the last ten
 * minutes, which is also how the request is verified; the download link from the e-mail works
 * once, in the customer's own signed-in browser.
 */
export function privacyPageRoutes(app: FastifyInstance, deps: { host: ProviderHost; customers: Customers; accountSteps: AccountSteps; dataMap: DataMap; requests: PrivacyRequests; exports: PrivacyExports; csrf: CsrfGuard }): void {
  const { accountSteps } = deps;
  const verification = (session: BrowserSession) => `signed in again at ${new Date(session.loginTs * 1000).toISOString()} with ${session.amr.join('+') || 'a session'}`;

  const show = async (request: FastifyRequest, reply: FastifyReply, session: BrowserSession, status = 200, notice?: string) => {
    const page = pageContextFor(request);
    const [held, requests] = await Promise.all([deps.dataMap.forCustomer(session.accountId), deps.requests.list({ customerId: session.accountId, limit: 20 })]);
    return sendPage(
      reply,
      status,
      accountPrivacyPage(page, {
        csrf: deps.csrf.token(request, reply),
        fresh: isFresh(session),
        systems: held.systems.map(({ system, reference }) => ({ name: system.name, categories: system.categories, hold: system.retention?.description ?? null, reference: system.access === 'builtin' ? null : reference })),
        requests: requests.map((entry) => ({ id: entry.id, kind: entry.kind, state: entry.state, receivedAt: Number(entry.received_at), dueAt: Number(entry.due_at) })),
        ...(notice ? { notice } : {}),
      }),
    );
  };

  /** Asking needs a recent sign-in, checked after the CSRF token (as it always was); otherwise a fresh sign-in, back here. */
  const asking = { back: RETURN, needs: { session: isFresh, after: 'csrf' as const } };

  accountSteps.mount(app, {
    method: 'GET',
    path: RETURN,
    back: RETURN,
    handle: async ({ request, reply, session, page }) => {
      const done = (request.query as Record<string, unknown> | undefined)?.done === 'export';
      return show(request, reply, session, 200, done ? page.t('privacy.export.requested') : undefined);
    },
  });

  accountSteps.mount(app, {
    ...asking,
    method: 'POST',
    path: `${RETURN}/export`,
    form: exportForm,
    handle: async ({ reply, session }) => {
      await deps.requests.create({ customerId: session.accountId, kind: 'export', source: 'customer', verification: verification(session) }, customerActor(session.accountId));
      return reply.code(303).redirect(`${RETURN}?done=export`, 303);
    },
  });

  accountSteps.mount(app, {
    ...asking,
    method: 'POST',
    path: `${RETURN}/erasure`,
    form: erasureForm,
    handle: async ({ request, reply, session, page, form }) => {
      if (form.confirm !== 'yes') return show(request, reply, session, 400, page.t('privacy.erasure.unconfirmed'));
      const created = await deps.requests.create({ customerId: session.accountId, kind: 'erasure', source: 'customer', verification: verification(session) }, customerActor(session.accountId));
      const due = new Intl.DateTimeFormat(page.locale === 'sv' ? 'sv-SE' : 'en-GB', { dateStyle: 'long', timeZone: 'Europe/Stockholm' }).format(Number(created.due_at));
      return sendPage(reply, 202, messagePage(page, page.t('privacy.erasure.requested.title'), page.t('privacy.erasure.requested', { id: created.id, due })));
    },
  });

  // The download parses its token before it looks at the session (a malformed link is a 400 even
  // signed out), which AccountSteps does the other way round: it stays written out.
  app.get(`${RETURN}/export/:token`, async (request, reply) => {
    const session = await activeSession(deps.host, deps.customers, request, reply);
    const { token } = parseInput(tokenParams, request.params, 'params');
    if (!session) return reply.code(303).redirect(`/account/login?return=${RETURN}`, 303);
    const archive = await deps.exports.download(token, session.accountId);
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="my-data-${new Date().toISOString().slice(0, 10)}.json"`)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(archive, null, 2));
  });
}
