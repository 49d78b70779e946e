import { parseJson } from '../validation/parse-input.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeDevice } from '../account/customer-sessions.ts';
import type { Passkeys } from '../credentials/passkeys.ts';
import type { AuditLog } from '../events/audit-log.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import type { Metrics } from '../ops/metrics.ts';
import { signInPage } from '../pages/sign-in.page.ts';
import type { CustomerService } from '../customers/customer.service.ts';
import { passkeyOfferPage } from '../pages/passkey-offer.page.ts';
import { continueForm, passkeyForm } from './interaction.forms.ts';
import { formValue, type InteractionContext, type LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { SecondFactorSteps } from './second-factor.routes.ts';

export interface PasskeySignInDeps {
  interactions: InteractionContext;
  passkeys: Passkeys;
  audit: AuditLog;
  customers: CustomerService;
  flows: InteractionFlowStore;
  steps: SecondFactorSteps;
  csrf: CsrfGuard;
  metrics: Metrics;
  /** Upstream providers offered as "Continue with …" when the sign-in page is shown again. */
  upstreams: (loaded: LoadedInteraction) => Promise<Array<{ key: string; name: string }>>;
}

/**
 * Passkey sign-in on the hosted page: the script asks for options (a challenge bound to this
 * interaction), the browser's answer comes back as a form post, and the sign-in continues.
 */
export function passkeySignInRoutes(app: FastifyInstance, deps: PasskeySignInDeps): void {
  const { interactions, csrf } = deps;

  app.post('/login/:uid/passkey/options', async (request, reply) => {
    const { uid } = await interactions.loadLogin(request, reply);
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    if (!continueForm.safeParse(request.body).success) throw new DomainError('invalid_form', 400, 'Unexpected fields');
    return reply.header('cache-control', 'no-store').type('application/json').send(await deps.passkeys.authenticationOptions(`login-auth:${uid}`, request.ip));
  });

  app.post('/login/:uid/passkey', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const { uid, page, clientName } = loaded;
    const again = async (status: number, error: string) => sendPage(reply, status, signInPage(page, { uid, clientName, csrf: csrf.token(request, reply), error, connections: await deps.upstreams(loaded) }));
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return again(403, page.t('error.csrf'));
    const form = passkeyForm.safeParse(request.body);
    let customerId: string;
    try {
      if (!form.success) throw new DomainError('passkey_refused', 400, 'Malformed passkey answer');
      customerId = await deps.passkeys.authenticate(`login-auth:${uid}`, parseJson(form.data.response));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      deps.metrics.signIn('passkey', 'invalid_credentials');
      await deps.audit.record({ action: 'sign_in.failed', actor: { type: 'customer', id: null }, details: { method: 'hwk', reason: error.code } });
      return again(400, page.t('error.passkey_refused'));
    }
    deps.metrics.signIn('passkey', 'success');
    return deps.steps.proceed(request, reply, loaded, customerId, ['hwk']);
  });
}

/** The passkey offer after sign-up (`/login/:uid/passkey/offer`): save one, or go on without. */
export function passkeyOfferRoutes(app: FastifyInstance, deps: PasskeySignInDeps): void {
  const { interactions, csrf, flows } = deps;

  async function offered(request: FastifyRequest, loaded: LoadedInteraction) {
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'offer_passkey') throw new DomainError('wrong_step', 400, 'No passkey offer is open in this sign-in');
    if (request.method === 'POST' && !csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    return flow;
  }

  async function goOn(request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, customerId: string, amr: Parameters<SecondFactorSteps['proceed']>[4]) {
    if (!(await flows.advance(loaded.uid, 'offer_passkey', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
    return deps.steps.proceed(request, reply, loaded, customerId, amr);
  }

  app.get('/login/:uid/passkey/offer', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    await offered(request, loaded);
    return sendPage(reply, 200, passkeyOfferPage(loaded.page, { uid: loaded.uid, csrf: csrf.token(request, reply) }));
  });

  app.post('/login/:uid/passkey/register/options', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await offered(request, loaded);
    if (!continueForm.safeParse(request.body).success) throw new DomainError('invalid_form', 400, 'Unexpected fields');
    const customer = await deps.customers.get(flow.customerId);
    const options = await deps.passkeys.registrationOptions(`login-reg:${loaded.uid}`, { id: customer.id, email: customer.email }, request.ip);
    return reply.header('cache-control', 'no-store').type('application/json').send(options);
  });

  app.post('/login/:uid/passkey/register', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await offered(request, loaded);
    const form = passkeyForm.safeParse(request.body);
    if (!form.success) throw new DomainError('passkey_refused', 400, 'Malformed passkey answer');
    const { browser, system } = describeDevice(request.headers['user-agent'] ?? '');
    await deps.passkeys.register(`login-reg:${loaded.uid}`, flow.customerId, parseJson(form.data.response), [browser, system].filter(Boolean).join(' · ') || 'Passkey');
    return goOn(request, reply, loaded, flow.customerId, flow.amr);
  });

  app.post('/login/:uid/passkey/skip', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await offered(request, loaded);
    if (!continueForm.safeParse(request.body).success) throw new DomainError('invalid_form', 400, 'Unexpected fields');
    return goOn(request, reply, loaded, flow.customerId, flow.amr);
  });
}
