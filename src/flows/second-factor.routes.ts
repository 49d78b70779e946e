import type { FastifyInstance } from 'fastify';
import type { SecurityNotices } from '../account/security-notices.ts';
import type { Customers } from '../customers/customers.ts';
import type { SecondFactors } from '../credentials/second-factors.ts';
import { DomainError } from '../errors/domain-error.ts';
import { sendPage } from '../http/page-reply.ts';
import { drawnAgain, refusedAs, typedCode, type PageInput, type PageSteps, type StepInput } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';
import { retryAfter } from '../http/interaction-context.ts';
import type { MessageKey } from '../i18n/en.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { Metrics } from '../ops/metrics.ts';
import { recoveryCodesPage, secondFactorPage, totpEnrolmentPage } from '../pages/second-factor.page.ts';
import { continueForm, enrolTotpForm } from './interaction.forms.ts';

export interface SecondFactorRouteDeps {
  steps: PageSteps;
  continuation: SignInContinuation;
  factors: SecondFactors;
  customers: Customers;
  flows: InteractionFlowStore;
  metrics: Metrics;
  notices: SecurityNotices;
}

/**
 * `/login/:uid/mfa`: the second step after a first factor — a TOTP or recovery code, or setting up
 * an authenticator app when the client asked for MFA and the customer has none yet (steps
 * `second_factor` and `second_factor_enrolment` of `after-sign-in/steps.ts`).
 */
export function secondFactorRoutes(app: FastifyInstance, deps: SecondFactorRouteDeps): void {
  const { steps, factors, flows } = deps;

  const codePage = async (input: PageInput, status = 200, error?: string) =>
    sendPage(input.reply, status, secondFactorPage(input.loaded.page, { action: `/login/${input.loaded.uid}/mfa`, csrf: input.csrfToken(), ...(error ? { error } : {}) }));

  const enrolmentPage = async (input: PageInput, customerId: string, status = 200, error?: string) => {
    const customer = await deps.customers.get(customerId);
    const enrolment = await factors.beginTotp(customerId, customer.email);
    const view = { action: `/login/${input.loaded.uid}/mfa/enrol`, csrf: input.csrfToken(), lead: input.loaded.page.t('mfa.enrol.lead', { client: input.loaded.clientName }), ...enrolment, error };
    return sendPage(input.reply, status, totpEnrolmentPage(input.loaded.page, view));
  };

  steps.mount(app, {
    method: 'GET',
    path: '/mfa',
    handle: async (input) => {
      const flow = await flows.get(input.loaded.uid);
      if (flow?.state === 'second_factor') return codePage(input);
      if (flow?.state === 'enrol_second_factor') return enrolmentPage(input, flow.customerId);
      return input.reply.code(303).redirect(`/login/${input.loaded.uid}`, 303);
    },
  });

  steps.mount(app, {
    method: 'POST',
    path: '/mfa',
    accepts: { states: ['second_factor'], otherwise: 'No second step is due in this sign-in' },
    ...typedCode(codePage),
    handle: async (input) => {
      const { loaded, flow } = input;
      try {
        const used = await factors.verify(flow.customerId, input.form.code, input.request.ip);
        if (used === 'recovery_code') {
          const { recoveryCodesLeft } = await factors.status(flow.customerId);
          await deps.notices.send(flow.customerId, 'recovery_code_used', String(recoveryCodesLeft));
        }
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        deps.metrics.signIn('otp', error.status === 429 ? 'throttled' : 'invalid_credentials');
        return codePage(input, error.status, loaded.page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(input.reply, error) }));
      }
      if (!(await flows.advance(loaded.uid, 'second_factor', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
      deps.metrics.signIn('otp', 'success');
      return deps.continuation.continue(input.request, input.reply, loaded, { customerId: flow.customerId, amr: [...flow.amr, 'otp'] }, 'second_factor_enrolment');
    },
  });

  steps.mount(app, {
    method: 'POST',
    path: '/mfa/enrol',
    accepts: { states: ['enrol_second_factor'], otherwise: 'No set-up is due in this sign-in' },
    form: enrolTotpForm,
    refuse: drawnAgain((input: Omit<StepInput<'enrol_second_factor', unknown>, 'form'>, status, error) => enrolmentPage(input, input.flow.customerId, status, error), 'error.invalid_code'),
    handle: async (input) => {
      const { loaded, flow } = input;
      let codes: string[];
      try {
        // Only one factor is proven here: an authenticator that already exists is never replaced
        // (that needs the account page and a fresh multi-factor sign-in).
        codes = await factors.confirmTotp(flow.customerId, input.form.ticket, input.form.code, { replace: false });
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        if (error.code === 'already_enrolled') throw error;
        return enrolmentPage(input, flow.customerId, error.status, loaded.page.t(`error.${error.code}` as MessageKey));
      }
      const amr = [...flow.amr, 'otp' as const];
      if (!(await flows.advance(loaded.uid, 'enrol_second_factor', { state: 'second_factor_enrolled', customerId: flow.customerId, amr }))) {
        throw new DomainError('wrong_step', 400, 'This step was already completed');
      }
      await deps.notices.send(flow.customerId, 'totp_added');
      return sendPage(input.reply, 200, recoveryCodesPage(loaded.page, { action: `/login/${loaded.uid}/mfa/continue`, csrf: input.csrfToken(), codes }));
    },
  });

  steps.mount(app, {
    method: 'POST',
    path: '/mfa/continue',
    accepts: { states: ['second_factor_enrolled'], otherwise: 'Nothing to continue in this sign-in' },
    form: continueForm,
    // A broken form here is answered as an expired one.
    refuse: { form: refusedAs('csrf', 403, 'The form had expired') },
    handle: async ({ request, reply, loaded, flow }) => {
      if (!(await flows.advance(loaded.uid, 'second_factor_enrolled', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
      return deps.continuation.continue(request, reply, loaded, { customerId: flow.customerId, amr: flow.amr }, 'second_factor_enrolment');
    },
  });
}
