import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityNotices } from '../account/security-notices.ts';
import type { InteractionResults } from 'oidc-provider';
import { customerActor, type AuditLog } from '../events/audit-log.ts';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { CustomerService } from '../customers/customer.service.ts';
import type { SecondFactors } from '../credentials/second-factors.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { MessageKey } from '../i18n/en.ts';
import { recoveryCodesPage, secondFactorPage, totpEnrolmentPage } from '../pages/second-factor.page.ts';
import { codeForm, continueForm, enrolTotpForm } from './interaction.forms.ts';
import { formValue, purposeScope, retryAfter, type InteractionContext, type LoadedInteraction } from '../http/interaction-context.ts';
import type { AuthMethod, InteractionFlowStore } from '../oidc/interaction-flows.ts';
import { requestedMultiFactorAcr } from '../oidc/authentication-context.ts';
import { PURPOSES_ASKED } from '../oidc/purpose-requests.ts';
import { loginResult, type SignInCompletion } from './sign-in-completion.ts';

export interface SecondFactorDeps {
  interactions: InteractionContext;
  completion: SignInCompletion;
  factors: SecondFactors;
  customers: CustomerService;
  flows: InteractionFlowStore;
  csrf: CsrfGuard;
  metrics: Metrics;
  notices: SecurityNotices;
  audit: AuditLog;
  ledger: ConsentLedger;
  /** Runs as a sign-in completes (before the steps still due), with who proved themselves and how: links a waiting upstream identity, claims a guest. */
  beforeFinish: (loaded: LoadedInteraction, customerId: string, methods: readonly string[]) => Promise<void>;
  /** The one-time "your group account works here too" notice at a brand, and the record of each brand used. */
  brands: { arrive(customerId: string, brand: string | null): Promise<string | undefined>; visited(customerId: string, brand: string | null): Promise<void> };
  /** Attributes to ask before the sign-in completes (progressive profiling): their keys. */
  profileDue: (customerId: string, loaded: LoadedInteraction) => Promise<string[]>;
}

/**
 * After any first factor: finish the sign-in, or send the browser to the second step
 * (`/login/:uid/mfa`): a TOTP or recovery code, or setting up an authenticator app when the
 * client asked for MFA and the customer has none yet.
 */
export class SecondFactorSteps {
  readonly #deps: SecondFactorDeps;

  constructor(deps: SecondFactorDeps) {
    this.#deps = deps;
  }

  async proceed(request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, customerId: string, amr: AuthMethod[]) {
    const completion = await this.#deps.completion.afterFactor(loaded.uid, customerId, amr, loaded.details.params.acr_values);
    if (completion.next === 'login') return this.complete(request, reply, loaded, completion.result);
    return reply.code(303).header('cache-control', 'no-store').redirect(`/login/${loaded.uid}/mfa`, 303);
  }

  /** The one way a sign-in completes: handed to oidc-provider, then audited. */
  async complete(request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, result: InteractionResults, asked: { consents?: boolean; profile?: boolean; brand?: boolean } = {}) {
    const login = result.login!;
    // First what waited for this proof (an upstream identity to link, a guest to claim): what it
    // brings (a guest's consent choices) counts for the steps below. Each happens once.
    await this.#deps.beforeFinish(loaded, login.accountId, login.amr ?? []);
    const held = { customerId: login.accountId, amr: (login.amr ?? []) as AuthMethod[], acr: login.acr ?? null };
    // Purposes never asked, or with a new version that needs fresh consent: asked now, once.
    if (!asked.consents && (await this.#deps.ledger.due(login.accountId, purposeScope(loaded))).length > 0) {
      await this.#deps.flows.set(loaded.uid, { state: 'consent_due', ...held });
      return reply.code(303).header('cache-control', 'no-store').redirect(`/login/${loaded.uid}/consents`, 303);
    }
    // Attributes this client asks for that the customer never gave: just those, on one screen.
    const keys = asked.profile ? [] : await this.#deps.profileDue(login.accountId, loaded);
    if (keys.length > 0) {
      await this.#deps.flows.set(loaded.uid, { state: 'profile_due', ...held, keys });
      return reply.code(303).header('cache-control', 'no-store').redirect(`/login/${loaded.uid}/profile`, 303);
    }
    // The first sign-in at this brand of someone who used the group account elsewhere: told once.
    if (asked.brand) await this.#deps.brands.visited(login.accountId, loaded.brand);
    else if (await this.#deps.brands.arrive(login.accountId, loaded.brand)) {
      await this.#deps.flows.set(loaded.uid, { state: 'brand_notice', ...held });
      return reply.code(303).header('cache-control', 'no-store').redirect(`/login/${loaded.uid}/brand`, 303);
    }
    // Everything due, the client's requested purposes included, was decided: the consent prompt need not ask again.
    // prompt=create (registration asked for) is answered by this sign-in or sign-up too.
    const created = String(loaded.details.params.prompt ?? '').split(' ').includes('create') ? { create: true } : {};
    const answer = await this.#deps.interactions.finish(request, reply, { ...result, ...created, [PURPOSES_ASKED]: true });
    await this.#deps.audit.record({
      action: 'sign_in.succeeded',
      actor: customerActor(login.accountId),
      subject: { type: 'customer', id: login.accountId },
      details: { methods: login.amr ?? [], acr: login.acr ?? null, client_id: String(loaded.details.params.client_id) },
    });
    return answer;
  }

  routes(app: FastifyInstance): void {
    const { interactions, flows, factors, csrf } = this.#deps;

    const enrolmentPage = async (request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, customerId: string, status = 200, error?: string) => {
      const customer = await this.#deps.customers.get(customerId);
      const enrolment = await factors.beginTotp(customerId, customer.email);
      const view = { action: `/login/${loaded.uid}/mfa/enrol`, csrf: csrf.token(request, reply), lead: loaded.page.t('mfa.enrol.lead', { client: loaded.clientName }), ...enrolment, error };
      return sendPage(reply, status, totpEnrolmentPage(loaded.page, view));
    };

    app.get('/login/:uid/mfa', async (request, reply) => {
      const loaded = await interactions.loadLogin(request, reply);
      const flow = await flows.get(loaded.uid);
      if (flow?.state === 'second_factor') return sendPage(reply, 200, secondFactorPage(loaded.page, { action: `/login/${loaded.uid}/mfa`, csrf: csrf.token(request, reply) }));
      if (flow?.state === 'enrol_second_factor') return enrolmentPage(request, reply, loaded, flow.customerId);
      return reply.code(303).redirect(`/login/${loaded.uid}`, 303);
    });

    app.post('/login/:uid/mfa', async (request, reply) => {
      const loaded = await interactions.loadLogin(request, reply);
      const flow = await flows.get(loaded.uid);
      if (flow?.state !== 'second_factor') throw new DomainError('wrong_step', 400, 'No second step is due in this sign-in');
      const again = (status: number, error: string) => sendPage(reply, status, secondFactorPage(loaded.page, { action: `/login/${loaded.uid}/mfa`, csrf: csrf.token(request, reply), error }));
      if (!csrf.verify(request, formValue(request.body, 'csrf'))) return again(403, loaded.page.t('error.csrf'));
      const form = codeForm.safeParse(request.body);
      if (!form.success) return again(400, loaded.page.t('error.invalid_code'));
      try {
        const used = await factors.verify(flow.customerId, form.data.code, request.ip);
        if (used === 'recovery_code') {
          const { recoveryCodesLeft } = await factors.status(flow.customerId);
          await this.#deps.notices.send(flow.customerId, 'recovery_code_used', String(recoveryCodesLeft));
        }
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        this.#deps.metrics.signIn('otp', error.status === 429 ? 'throttled' : 'invalid_credentials');
        return again(error.status, loaded.page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
      }
      if (!(await flows.advance(loaded.uid, 'second_factor', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
      this.#deps.metrics.signIn('otp', 'success');
      return this.complete(request, reply, loaded, loginResult(flow.customerId, [...flow.amr, 'otp'], requestedAcr(loaded)));
    });

    app.post('/login/:uid/mfa/enrol', async (request, reply) => {
      const loaded = await interactions.loadLogin(request, reply);
      const flow = await flows.get(loaded.uid);
      if (flow?.state !== 'enrol_second_factor') throw new DomainError('wrong_step', 400, 'No set-up is due in this sign-in');
      if (!csrf.verify(request, formValue(request.body, 'csrf'))) return enrolmentPage(request, reply, loaded, flow.customerId, 403, loaded.page.t('error.csrf'));
      const form = enrolTotpForm.safeParse(request.body);
      if (!form.success) return enrolmentPage(request, reply, loaded, flow.customerId, 400, loaded.page.t('error.invalid_code'));
      let codes: string[];
      try {
        // Only one factor is proven here: an authenticator that already exists is never replaced
        // (that needs the account page and a fresh multi-factor sign-in).
        codes = await factors.confirmTotp(flow.customerId, form.data.ticket, form.data.code, { replace: false });
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        if (error.code === 'already_enrolled') throw error;
        return enrolmentPage(request, reply, loaded, flow.customerId, error.status, loaded.page.t(`error.${error.code}` as MessageKey));
      }
      const amr: AuthMethod[] = [...flow.amr, 'otp'];
      if (!(await flows.advance(loaded.uid, 'enrol_second_factor', { state: 'second_factor_enrolled', customerId: flow.customerId, amr }))) {
        throw new DomainError('wrong_step', 400, 'This step was already completed');
      }
      await this.#deps.notices.send(flow.customerId, 'totp_added');
      return sendPage(reply, 200, recoveryCodesPage(loaded.page, { action: `/login/${loaded.uid}/mfa/continue`, csrf: csrf.token(request, reply), codes }));
    });

    app.post('/login/:uid/mfa/continue', async (request, reply) => {
      const loaded = await interactions.loadLogin(request, reply);
      const flow = await flows.get(loaded.uid);
      if (flow?.state !== 'second_factor_enrolled') throw new DomainError('wrong_step', 400, 'Nothing to continue in this sign-in');
      if (!csrf.verify(request, formValue(request.body, 'csrf')) || !continueForm.safeParse(request.body).success) {
        throw new DomainError('csrf', 403, 'The form had expired');
      }
      if (!(await flows.advance(loaded.uid, 'second_factor_enrolled', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
      return this.complete(request, reply, loaded, loginResult(flow.customerId, flow.amr, requestedAcr(loaded)));
    });
  }
}

function requestedAcr(loaded: LoadedInteraction): string | undefined {
  return requestedMultiFactorAcr(loaded.details.params.acr_values);
}
