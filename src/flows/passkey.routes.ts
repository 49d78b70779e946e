import { parseJson } from '../validation/parse-input.ts';
import type { FastifyInstance } from 'fastify';
import { describeDevice } from '../account/customer-sessions.ts';
import type { Passkeys } from '../credentials/passkeys.ts';
import type { AuditLog } from '../events/audit-log.ts';
import { DomainError } from '../errors/domain-error.ts';
import { sendPage } from '../http/page-reply.ts';
import type { Metrics } from '../ops/metrics.ts';
import { signInPage } from '../pages/sign-in.page.ts';
import type { Customers } from '../customers/customers.ts';
import { passkeyOfferPage } from '../pages/passkey-offer.page.ts';
import { continueForm, passkeyForm } from './interaction.forms.ts';
import type { LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import { refusedAs, type PageInput, type PageSteps, type StepInput } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

export interface PasskeySignInDeps {
  steps: PageSteps;
  passkeys: Passkeys;
  audit: AuditLog;
  customers: Customers;
  flows: InteractionFlowStore;
  continuation: SignInContinuation;
  metrics: Metrics;
  /** Upstream providers offered as "Continue with …" when the sign-in page is shown again. */
  upstreams: (loaded: LoadedInteraction) => Promise<Array<{ key: string; name: string }>>;
}

/** The passkey script posts nothing but the CSRF token to ask for options. */
const unexpected = refusedAs('invalid_form', 400, 'Unexpected fields');

/**
 * Passkey sign-in on the hosted page: the script asks for options (a challenge bound to this
 * interaction), the browser's answer comes back as a form post, and the sign-in continues.
 */
export function passkeySignInRoutes(app: FastifyInstance, deps: PasskeySignInDeps): void {
  const { steps } = deps;

  const again = async ({ reply, loaded, csrfToken }: PageInput, status: number, error: string) =>
    sendPage(reply, status, signInPage(loaded.page, { uid: loaded.uid, clientName: loaded.clientName, csrf: csrfToken(), error, connections: await deps.upstreams(loaded) }));

  /** A refused passkey answer: counted, audited, and the sign-in page again. */
  const refused = async (input: PageInput, reason: string) => {
    deps.metrics.signIn('passkey', 'invalid_credentials');
    await deps.audit.record({ action: 'sign_in.failed', actor: { type: 'customer', id: null }, details: { method: 'hwk', reason } });
    return again(input, 400, input.loaded.page.t('error.passkey_refused'));
  };

  steps.mount(app, {
    method: 'POST',
    path: '/passkey/options',
    form: continueForm,
    refuse: { form: unexpected },
    handle: async ({ request, reply, loaded }) =>
      reply.header('cache-control', 'no-store').type('application/json').send(await deps.passkeys.authenticationOptions(`login-auth:${loaded.uid}`, request.ip)),
  });

  steps.mount(app, {
    method: 'POST',
    path: '/passkey',
    form: passkeyForm,
    refuse: {
      csrf: async (input) => again(input, 403, input.loaded.page.t('error.csrf')),
      form: async (input) => refused(input, 'passkey_refused'),
    },
    handle: async (input) => {
      let customerId: string;
      try {
        customerId = await deps.passkeys.authenticate(`login-auth:${input.loaded.uid}`, parseJson(input.form.response));
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return refused(input, error.code);
      }
      deps.metrics.signIn('passkey', 'success');
      return deps.continuation.continue(input.request, input.reply, input.loaded, { customerId, amr: ['hwk'] });
    },
  });
}

/** The passkey offer after sign-up (`/login/:uid/passkey/offer`, step `passkey_offer`): save one, or go on without. */
export function passkeyOfferRoutes(app: FastifyInstance, deps: PasskeySignInDeps): void {
  const { steps, flows } = deps;
  const accepts = { states: ['offer_passkey'] as const, otherwise: 'No passkey offer is open in this sign-in' };

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
    refuse: { form: refusedAs('passkey_refused', 400, 'Malformed passkey answer') },
    handle: async (input) => {
      const { browser, system } = describeDevice(input.request.headers['user-agent'] ?? '');
      await deps.passkeys.register(`login-reg:${input.loaded.uid}`, input.flow.customerId, parseJson(input.form.response), [browser, system].filter(Boolean).join(' · ') || 'Passkey');
      return goOn(input);
    },
  });

  steps.mount(app, { method: 'POST', path: '/passkey/skip', accepts, form: continueForm, refuse: { form: unexpected }, handle: goOn });
}
