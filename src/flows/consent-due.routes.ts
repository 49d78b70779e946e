import type { FastifyInstance } from 'fastify';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import { showPurposes, signUpDecisions } from '../consent/sign-up-purposes.ts';
import { DomainError } from '../errors/domain-error.ts';
import { sendPage } from '../http/page-reply.ts';
import { html } from '../markup/html.ts';
import { csrfInput, implicitSubmit, layout } from '../pages/layout.ts';
import { purposeChoices } from '../pages/sign-up.page.ts';
import type { ShownPurpose } from '../consent/sign-up-purposes.ts';
import { emailCodeForm } from './interaction.forms.ts';
import { purposeScope, type LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import { refusedAs, type PageSteps } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

const choicesForm = emailCodeForm.pick({ csrf: true, consent: true, shown: true, consent_all: true });

/**
 * `/login/:uid/consents` (step `consents_due`): purposes due at this sign-in (new ones, or a new
 * version that asks again). Every purpose shown is a decision, recorded before the sign-in
 * completes; declining is as easy.
 */
export function consentDueRoutes(app: FastifyInstance, deps: { steps: PageSteps; flows: InteractionFlowStore; continuation: SignInContinuation; ledger: ConsentLedger }): void {
  const { steps, flows } = deps;
  const accepts = { states: ['consent_due'] as const, otherwise: 'No choices are due in this sign-in' };
  const due = async (loaded: LoadedInteraction, customerId: string): Promise<ShownPurpose[]> => showPurposes(await deps.ledger.due(customerId, purposeScope(loaded)), loaded.page.locale);

  steps.mount(app, {
    method: 'GET',
    path: '/consents',
    accepts,
    handle: async ({ reply, loaded, flow, csrfToken }) => {
      const purposes = await due(loaded, flow.customerId);
      const { t } = loaded.page;
      const body = html`<h1>${t('consents.due.title')}</h1>
<p class="lead">${t('consents.due.lead')}</p>
<form method="post" action="/login/${loaded.uid}/consents" novalidate>
${csrfInput(csrfToken())}
${implicitSubmit()}
${purposeChoices(loaded.page, purposes)}
<button type="submit" class="primary">${t('signup.continue')}</button>
</form>`;
      return sendPage(reply, 200, layout(loaded.page, t('consents.due.title'), body));
    },
  });

  steps.mount(app, {
    method: 'POST',
    path: '/consents',
    accepts,
    form: choicesForm,
    refuse: { form: refusedAs('invalid_form', 400, 'The choices could not be read') },
    handle: async ({ request, reply, loaded, flow, form }) => {
      // Only what is due now can be decided here, at the version shown.
      const decisions = signUpDecisions(await due(loaded, flow.customerId), form.shown ?? [], form.consent ?? [], form.consent_all);
      if (decisions.length > 0) {
        await deps.ledger.record(
          decisions.map((choice) => ({ purpose: choice.purpose, version: choice.version, decision: choice.granted ? 'granted' : 'declined' })),
          { customerId: flow.customerId, locale: loaded.page.locale, channel: 'web', clientId: String(loaded.details.params.client_id), actor: { type: 'customer', id: flow.customerId }, ip: request.ip },
        );
      }
      if (!(await flows.advance(loaded.uid, 'consent_due', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
      return deps.continuation.continue(request, reply, loaded, { customerId: flow.customerId, amr: flow.amr }, 'consents_due');
    },
  });
}
