import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Brands } from '../brands/brands.ts';
import { DomainError } from '../errors/domain-error.ts';
import { sendPage } from '../http/page-reply.ts';
import { codeEntryPage } from '../pages/code-entry.page.ts';
import { signInPage } from '../pages/sign-in.page.ts';
import { signUpPage } from '../pages/sign-up.page.ts';
import type { Customers } from '../customers/customers.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../consent/consent-purposes.ts';
import { signUpDecisions, signUpPurposes } from '../consent/sign-up-purposes.ts';
import type { EmailCodeSignIn, ProvenAddress } from './email-code-sign-in.ts';
import { emailCodeForm, linkToken } from './interaction.forms.ts';
import { formValue, retryAfter, type LoadedInteraction } from '../http/interaction-context.ts';
import { drawRefusal, typedCode, type PageInput, type PageSteps } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

export interface EmailCodeDeps {
  steps: PageSteps;
  emailCode: EmailCodeSignIn;
  customers: Customers;
  continuation: SignInContinuation;
  metrics: Metrics;
  passwordMinLength: number;
  purposes: ConsentPurposes;
  ledger: ConsentLedger;
  brands: Pick<Brands, 'responsibilityAt'>;
  /** Upstream providers offered as "Continue with …" when the sign-in page is shown again. */
  upstreams: (loaded: LoadedInteraction) => Promise<Array<{ key: string; name: string }>>;
}

/**
 * Passwordless sign-in and verify-first sign-up: `POST /login/:uid/email-code` sends a code (and
 * link), `GET` shows the code entry, `POST …/verify` checks it, `GET /login/:uid/email-link`
 * redeems the link in the same browser.
 */
export function emailCodeRoutes(app: FastifyInstance, deps: EmailCodeDeps): void {
  const { steps } = deps;
  const sent = (otherwise: string | ((input: PageInput) => Promise<unknown>)) => ({ states: ['email_code_sent'] as const, otherwise });

  /** The code entry, for the address the code went to. */
  async function codePage({ reply, loaded, csrfToken, flow: { email } }: PageInput & { flow: { email: string } }, status = 200, error?: string) {
    const { uid, page } = loaded;
    return sendPage(
      reply,
      status,
      codeEntryPage(page, {
        csrf: csrfToken(),
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

  /** The sign-in or sign-up form again, as it was filled in, with what went wrong. */
  async function formAgain({ request, reply, loaded, csrfToken }: PageInput, status: number, error: string) {
    const { uid, page, clientName } = loaded;
    const body = request.body;
    const email = formValue(body, 'email');
    const values = { email, given_name: formValue(body, 'given_name'), family_name: formValue(body, 'family_name') };
    return formValue(body, 'intent') === 'sign_up'
      ? sendPage(reply, status, signUpPage(page, { uid, clientName, csrf: csrfToken(), passwordMinLength: deps.passwordMinLength, error, values, purposes: await signUpPurposes(deps.purposes, page.locale, loaded.brand), responsibility: await deps.brands.responsibilityAt(loaded.brand) }))
      : sendPage(reply, status, signInPage(page, { uid, clientName, csrf: csrfToken(), email, error, connections: await deps.upstreams(loaded) }));
  }

  /** A brand-new account records its sign-up choices; then the steps after sign-in (a passkey offer first, for it). */
  async function continueAfterCode({ request, reply, loaded }: PageInput, proven: ProvenAddress) {
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

  steps.mount(app, {
    method: 'POST',
    path: '/email-code',
    form: emailCodeForm,
    refuse: {
      csrf: async (input) => formAgain(input, 403, input.loaded.page.t('error.csrf', { min: deps.passwordMinLength })),
      form: async (input, error) => {
        const key = error.issues.some((issue) => issue.path[0] === 'email') ? 'error.invalid_email' : 'error.invalid_form';
        return formAgain(input, 400, input.loaded.page.t(key, { min: deps.passwordMinLength }));
      },
    },
    handle: async (input) => {
      const { request, reply, loaded, form } = input;
      const { page } = loaded;
      const { email, password, given_name, family_name, consent, shown, consent_all: all } = form;
      const signUp = form.intent === 'sign_up';
      try {
        const passwordHash = signUp && password !== undefined ? await deps.customers.hashNewPassword(password) : undefined;
        const consents = signUpDecisions(await signUpPurposes(deps.purposes, page.locale, loaded.brand), shown ?? [], consent ?? [], all);
        const pending = signUp
          ? { locale: page.locale, consents, ...(given_name ? { given_name } : {}), ...(family_name ? { family_name } : {}), ...(passwordHash ? { passwordHash } : {}) }
          : undefined;
        await deps.emailCode.start({ uid: loaded.uid, email, ip: request.ip, locale: page.locale, brand: page.brand, ...(pending ? { signUp: pending } : {}) });
      } catch (error) {
        return drawRefusal(formAgain, input, error, (refusal) => ({ min: deps.passwordMinLength, seconds: retryAfter(reply, refusal) }));
      }
      return reply.code(303).redirect(`/login/${loaded.uid}/email-code`, 303);
    },
  });

  steps.mount(app, {
    method: 'GET',
    path: '/email-code',
    accepts: sent(async ({ reply, loaded }) => reply.code(303).redirect(`/login/${loaded.uid}`, 303)),
    handle: async (input) => codePage(input),
  });

  steps.mount(app, {
    method: 'POST',
    path: '/email-code/verify',
    accepts: sent('No code was sent in this sign-in'),
    ...typedCode(codePage),
    handle: async (input) => {
      const { request, reply, loaded } = input;
      try {
        const proven = await deps.emailCode.verifyCode(loaded.uid, input.form.code, request.ip);
        deps.metrics.signIn('email_code', 'success');
        return await continueAfterCode(input, proven);
      } catch (error) {
        return drawRefusal(codePage, input, error, (refusal) => {
          deps.metrics.signIn('email_code', refusal.status === 429 ? 'throttled' : 'invalid_credentials');
          return { seconds: retryAfter(reply, refusal) };
        });
      }
    },
  });

  steps.mount(app, {
    method: 'GET',
    path: '/email-link',
    handle: async (input) => {
      const proven = await deps.emailCode.redeemLink(input.loaded.uid, linkToken(input.request.query));
      deps.metrics.signIn('email_link', 'success');
      return continueAfterCode(input, proven);
    },
  });
}
