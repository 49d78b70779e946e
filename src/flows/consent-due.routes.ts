import type { FastifyInstance } from 'fastify';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../consent/consent-purposes.ts';
import { showPurposes, signUpDecisions } from '../consent/sign-up-purposes.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import { html } from '../markup/html.ts';
import { csrfInput, implicitSubmit, layout } from '../pages/layout.ts';
import { purposeChoices } from '../pages/sign-up.page.ts';
import type { ShownPurpose } from '../consent/sign-up-purposes.ts';
import { emailCodeForm } from './interaction.forms.ts';
import { formValue, purposeScope, type InteractionContext, type LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { SecondFactorSteps } from './second-factor.routes.ts';

const choicesForm = emailCodeForm.pick({ csrf: true, consent: true, shown: true, consent_all: true });

/**
 * `/login/:uid/consents`: purposes due at this sign-in (new ones, or a new version that asks again).
 * Every purpose shown is a decision, recorded before the sign-in completes; declining is as easy.
 */
export function consentDueRoutes(app: FastifyInstance, deps: { interactions: InteractionContext; flows: InteractionFlowStore; steps: SecondFactorSteps; purposes: ConsentPurposes; ledger: ConsentLedger; csrf: CsrfGuard }): void {
  const { interactions, flows, csrf } = deps;

  async function due(loaded: LoadedInteraction) {
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'consent_due') throw new DomainError('wrong_step', 400, 'No choices are due in this sign-in');
    const purposes: ShownPurpose[] = showPurposes(await deps.ledger.due(flow.customerId, purposeScope(loaded)), loaded.page.locale);
    return { flow, purposes };
  }

  app.get('/login/:uid/consents', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const { purposes } = await due(loaded);
    const { t } = loaded.page;
    const body = html`<h1>${t('consents.due.title')}</h1>
<p class="lead">${t('consents.due.lead')}</p>
<form method="post" action="/login/${loaded.uid}/consents" novalidate>
${csrfInput(csrf.token(request, reply))}
${implicitSubmit()}
${purposeChoices(loaded.page, purposes)}
<button type="submit" class="primary">${t('signup.continue')}</button>
</form>`;
    return sendPage(reply, 200, layout(loaded.page, t('consents.due.title'), body));
  });

  app.post('/login/:uid/consents', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const { flow, purposes } = await due(loaded);
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    const form = choicesForm.safeParse(request.body);
    if (!form.success) throw new DomainError('invalid_form', 400, 'The choices could not be read');
    // Only what is due now can be decided here, at the version shown.
    const decisions = signUpDecisions(purposes, form.data.shown ?? [], form.data.consent ?? [], form.data.consent_all);
    if (decisions.length > 0) {
      await deps.ledger.record(
        decisions.map((choice) => ({ purpose: choice.purpose, version: choice.version, decision: choice.granted ? 'granted' : 'declined' })),
        { customerId: flow.customerId, locale: loaded.page.locale, channel: 'web', clientId: String(loaded.details.params.client_id), actor: { type: 'customer', id: flow.customerId }, ip: request.ip },
      );
    }
    if (!(await flows.advance(loaded.uid, 'consent_due', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
    const login = { accountId: flow.customerId, amr: flow.amr, ...(flow.acr ? { acr: flow.acr } : {}), remember: true };
    return deps.steps.complete(request, reply, loaded, { login }, { consents: true });
  });
}
