import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { AuditLog } from '../events/audit-log.ts';
import { parseInput } from '../validation/parse-input.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { LoadedInteraction } from '../http/interaction-context.ts';
import type { PageSteps } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';
import type { Metrics } from '../ops/metrics.ts';
import { html } from '../markup/html.ts';
import { layout } from '../pages/layout.ts';
import { signInPage } from '../pages/sign-in.page.ts';
import { connectionTestReturnPage } from '../pages/console/connection-test.page.ts';
import { upstreamConfirmPage, upstreamLinkCodePage } from '../pages/upstream.page.ts';
import { nameText, text } from '../validation/text.ts';
import { testIdFromState, type ConnectionTests } from './connection-tests.ts';
import type { Connections } from './connections.ts';
import { UPSTREAM_CALLBACK_PATH } from './connections.ts';
import { CONNECTION_KINDS, connectorFor } from './connectors/registry.ts';
import type { IdentityLinks } from './identity-links.ts';
import { UpstreamError, uidFromState, type UpstreamSignIn } from './upstream-sign-in.ts';

/** What an authorization response posted back (form_post) may carry on to the GET: OAuth's fields, and those a kind adds (Apple's `user`). */
const FORM_POST_FIELDS = ['code', 'state', 'iss', 'error', 'error_description', ...CONNECTION_KINDS.flatMap((kind) => connectorFor(kind).postedFields ?? [])];

const keyParams = z.strictObject({ key: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/) });
const returnParams = keyParams.extend({ uid: z.string() });

const startForm = z.strictObject({ csrf: text().max(200), connection: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/) });
const cancelForm = z.strictObject({ csrf: text().max(200) });
const confirmForm = z.strictObject({
  csrf: text().max(200),
  given_name: nameText().trim().max(100).optional(),
  family_name: nameText().trim().max(100).optional(),
});

/**
 * "Continue with …" on the hosted sign-in: off to the upstream provider and back through its fixed
 * callback, then signed in, asked to confirm the prefilled details of a new account, or told the
 * address has an account already. Every failure is a page with a way back and an audit entry.
 */
export function upstreamRoutes(app: FastifyInstance, deps: { steps: PageSteps; upstream: UpstreamSignIn; connections: Connections; tests: ConnectionTests; links: IdentityLinks; continuation: SignInContinuation; audit: AuditLog; metrics: Metrics }): void {
  const { steps, upstream } = deps;

  const stopped = async (reply: FastifyReply, loaded: LoadedInteraction, title: string, lead: string, status: number) => {
    const { t } = loaded.page;
    return sendPage(reply, status, layout(loaded.page, title, html`<h1>${title}</h1>
<p class="lead">${lead}</p>
<p class="switch"><a class="button primary" href="/login/${loaded.uid}">${t('upstream.back')}</a></p>`));
  };

  /** A failed upstream sign-in: counted, audited, and told in words with a way back. Nothing was created. */
  const failed = async (reply: FastifyReply, loaded: LoadedInteraction, error: UpstreamError) => {
    const { t } = loaded.page;
    deps.metrics.signIn('upstream', error.reason);
    reply.log.warn({ connection: error.connection, reason: error.reason, cause: error.why }, `upstream sign-in failed: ${error.message}`);
    await deps.audit.record({ action: 'sign_in.upstream_failed', actor: { type: 'system' }, subject: { type: 'connection', id: error.connection }, details: { reason: error.reason, detail: error.message, ...(error.why ? { cause: error.why } : {}) } });
    const name = await deps.connections.get(error.connection).then((connection) => connection.name, () => error.connection);
    return stopped(reply, loaded, t('upstream.error.title'), t(`upstream.error.${error.reason}`, { connection: name }), error.reason === 'unavailable' ? 502 : error.reason === 'tenant' ? 403 : 400);
  };

  // A form that cannot be read is answered as the API answers one (`unknown_field`, `validation_failed`).
  steps.mount(app, {
    method: 'POST',
    path: '/upstream',
    handle: async ({ request, reply, loaded }) => {
      const { connection: key } = parseInput(startForm, request.body, 'body');
      try {
        const url = await upstream.start(loaded.uid, key, loaded.page.locale, { clientId: String(loaded.details.params.client_id), brand: loaded.brand });
        return await seeOther(reply, url);
      } catch (error) {
        if (error instanceof UpstreamError) return failed(reply, loaded, error);
        throw error;
      }
    },
  });

  // Each connection's callback URL: on to the interaction's own path, where its cookie applies.
  const query = (request: FastifyRequest) => new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
  const uidOf = (params: URLSearchParams | Record<string, string>) => {
    const uid = uidFromState(params instanceof URLSearchParams ? params.get('state') : params.state);
    if (!uid) throw new DomainError('upstream_state', 400, 'This answer from the provider belongs to no sign-in here');
    return uid;
  };
  // An administrator's test (connection-tests.ts): the answer is held with the test, and the
  // browser goes on to the console's result page from a page of ours, so that the console's
  // SameSite=Strict cookie goes with it (a redirect chain that began at the provider carries none).
  const testAnswer = async (reply: FastifyReply, key: string, test: string, answer: Record<string, string>) => {
    const { locale } = await deps.tests.hold(test, key, answer);
    return sendPage(reply, 200, connectionTestReturnPage(locale, `/console/connections/${key}/tests/${test}`));
  };
  app.get(`${UPSTREAM_CALLBACK_PATH}/:key`, async (request, reply) => {
    const { key } = parseInput(keyParams, request.params, 'params');
    const params = query(request);
    const test = testIdFromState(params.get('state'));
    if (test) return testAnswer(reply, key, test, Object.fromEntries([...params].filter(([name, value]) => FORM_POST_FIELDS.includes(name) && value.length <= 4096)));
    return seeOther(reply, `/login/${uidOf(params)}/upstream/return/${key}?${params.toString()}`);
  });
  // response_mode=form_post (Apple): the answer arrives as a cross-site POST, which carries no
  // SameSite cookie. It is held with the sign-in (state checked), and the browser goes on by GET,
  // which does carry the cookie; the code and the name never appear in a URL.
  app.post(`${UPSTREAM_CALLBACK_PATH}/:key`, async (request, reply) => {
    const { key } = parseInput(keyParams, request.params, 'params');
    const body = (request.body ?? {}) as Record<string, unknown>;
    const answer: Record<string, string> = {};
    for (const field of FORM_POST_FIELDS) {
      const value = body[field];
      if (typeof value === 'string' && value.length <= 4096) answer[field] = value;
    }
    const test = testIdFromState(answer.state);
    if (test) return testAnswer(reply, key, test, answer);
    const uid = uidOf(answer);
    await upstream.hold(uid, key, answer);
    return seeOther(reply, `/login/${uid}/upstream/return/${key}`);
  });

  steps.mount(app, {
    method: 'GET',
    path: '/upstream/return/:key',
    handle: async ({ request, reply, loaded }) => {
      const { key } = parseInput(returnParams, request.params, 'params');
      try {
        // openid-client checks the answer as it arrived at the connection's callback URL.
        const outcome = await upstream.finish(loaded.uid, key, query(request));
        if (outcome.kind === 'signed_in') {
          deps.metrics.signIn('upstream', 'success');
          return await deps.continuation.continue(request, reply, loaded, { customerId: outcome.customerId, amr: ['fed'] });
        }
        return seeOther(reply, `/login/${loaded.uid}/upstream/${outcome.kind === 'confirm' ? 'confirm' : 'link'}`);
      } catch (error) {
        if (error instanceof UpstreamError) return failed(reply, loaded, error);
        throw error;
      }
    },
  });

  // The identity waits for a proof: the sign-in page, with the address filled in and why. Read
  // the same whether or not the address has an account here.
  steps.mount(app, {
    method: 'GET',
    path: '/upstream/link',
    handle: async ({ reply, loaded, csrfToken }) => {
      const link = await deps.links.pending(loaded.uid);
      if (!link) return seeOther(reply, `/login/${loaded.uid}`);
      const name = await deps.connections.get(link.connection).then((connection) => connection.name, () => link.connection);
      // An address the upstream vouched for: prove the account, any way. One nobody vouched for:
      // prove the address, by a code and nothing else (the page offers nothing else that signs in).
      const notice = loaded.page.t(link.vouched ? 'upstream.prove.notice' : 'upstream.prove.code_notice', { connection: name, email: link.email });
      if (!link.vouched) return sendPage(reply, 200, upstreamLinkCodePage(loaded.page, { uid: loaded.uid, csrf: csrfToken(), connection: name, email: link.email, notice }));
      return sendPage(reply, 200, signInPage(loaded.page, { uid: loaded.uid, clientName: loaded.clientName, csrf: csrfToken(), email: link.email, notice }));
    },
  });

  // Giving up on connecting the identity: it is dropped, and the sign-in page offers every way in again.
  steps.mount(app, {
    method: 'POST',
    path: '/upstream/link/cancel',
    form: cancelForm,
    handle: async ({ reply, loaded }) => {
      await deps.links.drop(loaded.uid);
      return seeOther(reply, `/login/${loaded.uid}`);
    },
  });

  steps.mount(app, {
    method: 'GET',
    path: '/upstream/confirm',
    accepts: { states: ['upstream_confirm'], otherwise: 'Nothing to confirm in this sign-in' },
    handle: async ({ reply, loaded, flow, csrfToken }) => {
      const connection = await deps.connections.get(flow.connection);
      const view = { uid: loaded.uid, csrf: csrfToken(), connection: connection.name, clientName: loaded.clientName, email: flow.email, givenName: flow.givenName, familyName: flow.familyName };
      return sendPage(reply, 200, upstreamConfirmPage(loaded.page, view));
    },
  });

  steps.mount(app, {
    method: 'POST',
    path: '/upstream/confirm',
    handle: async ({ request, reply, loaded }) => {
      const form = parseInput(confirmForm, request.body, 'body');
      try {
        const customerId = await upstream.confirm(loaded.uid, { given_name: form.given_name || undefined, family_name: form.family_name || undefined });
        deps.metrics.signIn('upstream', 'registered');
        return await deps.continuation.continue(request, reply, loaded, { customerId, amr: ['fed'] });
      } catch (error) {
        if (error instanceof UpstreamError) return failed(reply, loaded, error);
        throw error;
      }
    },
  });
}
