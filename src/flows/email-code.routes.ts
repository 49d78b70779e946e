import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import type { MessageKey } from '../i18n/en.ts';
import { signInPage } from '../pages/sign-in.page.ts';
import { signUpPage } from '../pages/sign-up.page.ts';
import type { Customers } from '../customers/customers.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../consent/consent-purposes.ts';
import { signUpDecisions, signUpPurposes } from '../consent/sign-up-purposes.ts';
import type { EmailCodeSignIn, ProvenAddress } from './email-code-sign-in.ts';
import { codeForm, emailCodeForm, linkQuery } from './interaction.forms.ts';
import { formValue, retryAfter, type InteractionContext, type LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

export interface EmailCodeDeps {
  interactions: InteractionContext;
  emailCode: EmailCodeSignIn;
  customers: Customers;
  flows: InteractionFlowStore;
  continuation: SignInContinuation;
  csrf: CsrfGuard;
  metrics: Metrics;
  passwordMinLength: number;
  purposes: ConsentPurposes;
  ledger: ConsentLedger;
  /** Upstream providers offered as "Continue with …" when the sign-in page is shown again. */
  upstreams: (loaded: LoadedInteraction) => Promise<Array<{ key: string; name: string }>>;
}

/**
 * Passwordless sign-in and verify-first sign-up: `POST /login/:uid/email-code` sends a code (and
 * link), `GET` shows the code entry, `POST …/verify` checks it, `GET /login/:uid/email-link`
 * redeems the link in the same browser.
 */
export function emailCodeRoutes(app: FastifyInstance, deps: EmailCodeDeps): void {
  const { interactions, csrf } = deps;

  function codePage(reply: FastifyReply, request: FastifyRequest, loaded: LoadedInteraction, email: string, status = 200, error?: string) {
    const { uid, page } = loaded;
    return sendPage(
      reply,
      status,
      codeEntryPage(page, {
        csrf: csrf.token(request, reply),
        title: page.t('code.title'),
        lead: page.t('code.lead', { email }),
        action: `/login/${uid}/email-code/verify`,
        resendAction: `/login/${uid}/email-code`,
        resendFields: { intent: 'sign_in', email },
        backHref: `/login/${uid}`,
        error,
      }),
    );
  }

  /** A brand-new account records its sign-up choices; then the steps after sign-in (a passkey offer first, for it). */
  async function continueAfterCode(reply: FastifyReply, request: FastifyRequest, loaded: LoadedInteraction, proven: ProvenAddress) {
    if (proven.created) await recordSignUpConsents(request, loaded, proven);
    return deps.continuation.continue(request, reply, loaded, { customerId: proven.customer.id, amr: ['email'], created: proven.created });
  }

  /**
   * The choices of the sign-up form, recorded once the account exists. A purpose that got a new
   * version in between is not recorded; the customer is asked about it at a later sign-in.
   */
  async function recordSignUpConsents(request: FastifyRequest, loaded: LoadedInteraction, proven: ProvenAddress) {
    const consents = proven.signUp?.consents ?? [];
    if (consents.length === 0) return;
    const context = {
      customerId: proven.customer.id,
      locale: proven.signUp?.locale ?? loaded.page.locale,
      channel: 'web' as const,
      clientId: String(loaded.details.params.client_id),
      actor: { type: 'customer' as const, id: proven.customer.id },
      ip: request.ip,
    };
    try {
      await deps.ledger.record(consents.map((choice) => ({ purpose: choice.purpose, version: choice.version, decision: choice.granted ? 'granted' : 'declined' })), context);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      request.log.warn({ err: error }, 'sign-up consents not recorded; they will be asked again');
    }
  }

  app.post('/login/:uid/email-code', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const { uid, page, clientName } = loaded;
    const body = request.body;
    const signUp = formValue(body, 'intent') === 'sign_up';
    const token = csrf.token(request, reply);
    const again = async (status: number, key: MessageKey, params?: Record<string, string | number>) => {
      const error = page.t(key, { min: deps.passwordMinLength, ...params });
      const email = formValue(body, 'email');
      const values = { email, given_name: formValue(body, 'given_name'), family_name: formValue(body, 'family_name') };
      return signUp
        ? sendPage(reply, status, signUpPage(page, { uid, clientName, csrf: token, passwordMinLength: deps.passwordMinLength, error, values, purposes: await signUpPurposes(deps.purposes, page.locale, loaded.brand) }))
        : sendPage(reply, status, signInPage(page, { uid, clientName, csrf: token, email, error, connections: await deps.upstreams(loaded) }));
    };
    if (!csrf.verify(request, formValue(body, 'csrf'))) return again(403, 'error.csrf');
    const form = emailCodeForm.safeParse(body);
    if (!form.success) return again(400, form.error.issues.some((issue) => issue.path[0] === 'email') ? 'error.invalid_email' : 'error.invalid_form');
    const { email, password, given_name, family_name, consent, shown, consent_all: all } = form.data;
    try {
      const passwordHash = signUp && password !== undefined ? await deps.customers.hashNewPassword(password) : undefined;
      const consents = signUpDecisions(await signUpPurposes(deps.purposes, page.locale, loaded.brand), shown ?? [], consent ?? [], all);
      const pending = signUp
        ? { locale: page.locale, consents, ...(given_name ? { given_name } : {}), ...(family_name ? { family_name } : {}), ...(passwordHash ? { passwordHash } : {}) }
        : undefined;
      await deps.emailCode.start({ uid, email, ip: request.ip, locale: page.locale, brand: page.brand, ...(pending ? { signUp: pending } : {}) });
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return again(error.status, `error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) });
    }
    return reply.code(303).redirect(`/login/${uid}/email-code`, 303);
  });

  app.get('/login/:uid/email-code', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await deps.flows.get(loaded.uid);
    if (flow?.state !== 'email_code_sent') return reply.code(303).redirect(`/login/${loaded.uid}`, 303);
    return codePage(reply, request, loaded, flow.email);
  });

  app.post('/login/:uid/email-code/verify', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const flow = await deps.flows.get(loaded.uid);
    if (flow?.state !== 'email_code_sent') throw new DomainError('wrong_step', 400, 'No code was sent in this sign-in');
    const { page } = loaded;
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return codePage(reply, request, loaded, flow.email, 403, page.t('error.csrf'));
    const form = codeForm.safeParse(request.body);
    if (!form.success) return codePage(reply, request, loaded, flow.email, 400, page.t('error.invalid_code'));
    try {
      const proven = await deps.emailCode.verifyCode(loaded.uid, form.data.code, request.ip);
      deps.metrics.signIn('email_code', 'success');
      return await continueAfterCode(reply, request, loaded, proven);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      deps.metrics.signIn('email_code', error.status === 429 ? 'throttled' : 'invalid_credentials');
      return codePage(reply, request, loaded, flow.email, error.status, page.t(`error.${error.code}` as MessageKey, { seconds: retryAfter(reply, error) }));
    }
  });

  app.get('/login/:uid/email-link', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const query = linkQuery.safeParse(request.query);
    if (!query.success) throw new DomainError('link_expired', 400, 'The link is malformed');
    const proven = await deps.emailCode.redeemLink(loaded.uid, query.data.token);
    deps.metrics.signIn('email_link', 'success');
    return continueAfterCode(reply, request, loaded, proven);
  });
}
