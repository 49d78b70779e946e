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
import type { Customers } from '../customers/customers.ts';
import { passkeyOfferPage } from '../pages/passkey-offer.page.ts';
import { continueForm, passkeyForm } from './interaction.forms.ts';
import { formValue, type InteractionContext, type LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { PageSteps, StepInput } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

export interface PasskeySignInDeps {
  interactions: InteractionContext;
  passkeys: Passkeys;
  audit: AuditLog;
  customers: Customers;
  flows: InteractionFlowStore;
  continuation: SignInContinuation;
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
    return deps.continuation.continue(request, reply, loaded, { customerId, amr: ['hwk'] });
  });
}

/** The passkey offer after sign-up (`/login/:uid/passkey/offer`, step `passkey_offer`): save one, or go on without. */
export function passkeyOfferRoutes(app: FastifyInstance, deps: PasskeySignInDeps & { steps: PageSteps }): void {
  const { steps, flows } = deps;
  const accepts = { states: ['offer_passkey'] as const, otherwise: 'No passkey offer is open in this sign-in' };
  const unexpected = async () => {
    throw new DomainError('invalid_form', 400, 'Unexpected fields');
  };

  async function goOn({ request, reply, loaded, flow }: StepInput<'offer_passkey', unknown>) {
    if (!(await flows.advance(loaded.uid, 'offer_passkey', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
    return deps.continuation.continue(request, reply, loaded, { customerId: flow.customerId, amr: flow.amr }, 'passkey_offer');
  }

  steps.mount(app, {
    method: 'GET',
    path: '/passkey/offer',
    accepts,
    handle: async ({ reply, loaded, csrfToken }) => sendPage(reply, 200, passkeyOfferPage(loaded.page, { uid: loaded.uid, csrf: csrfToken() })),
  });

  steps.mount(app, {
    method: 'POST',
    path: '/passkey/register/options',
    accepts,
    form: continueForm,
    refuse: { form: unexpected },
    handle: async ({ request, reply, flow, loaded }) => {
      const customer = await deps.customers.get(flow.customerId);
      const options = await deps.passkeys.registrationOptions(`login-reg:${loaded.uid}`, { id: customer.id, email: customer.email }, request.ip);
      return reply.header('cache-control', 'no-store').type('application/json').send(options);
    },
  });

  steps.mount(app, {
    method: 'POST',
    path: '/passkey/register',
    accepts,
    form: passkeyForm,
    refuse: {
      form: async () => {
        throw new DomainError('passkey_refused', 400, 'Malformed passkey answer');
      },
    },
    handle: async (input) => {
      const { browser, system } = describeDevice(input.request.headers['user-agent'] ?? '');
      await deps.passkeys.register(`login-reg:${input.loaded.uid}`, input.flow.customerId, parseJson(input.form.response), [browser, system].filter(Boolean).join(' · ') || 'Passkey');
      return goOn(input);
    },
  });

  steps.mount(app, { method: 'POST', path: '/passkey/skip', accepts, form: continueForm, refuse: { form: unexpected }, handle: goOn });
}
