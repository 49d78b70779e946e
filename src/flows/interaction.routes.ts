import type { FastifyInstance } from 'fastify';
import type { Brands } from '../brands/brands.ts';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes, PurposeVersion } from '../consent/consent-purposes.ts';
import { showPurposes, signUpDecisions, signUpPurposes } from '../consent/sign-up-purposes.ts';
import type { Customers } from '../customers/customers.ts';
import { DEFAULT_POOL } from '../customers/customers.ts';
import { parseInput } from '../validation/parse-input.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { PageInput, PageSteps } from '../http/page-step.ts';
import { MFA_REQUIRED } from '../oidc/authentication-context.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { PURPOSES_ASKED, PURPOSES_REQUESTED } from '../oidc/purpose-requests.ts';
import type { Metrics } from '../ops/metrics.ts';
import { brandNoticePage } from '../pages/brand-notice.page.ts';
import { consentPage } from '../pages/consent.page.ts';
import { BRAND_FIRST_VISIT } from '../oidc/brand-first-visit.ts';
import type { MessageKey } from '../i18n/en.ts';
import { messagePage } from '../pages/message.page.ts';
import { signInPage } from '../pages/sign-in.page.ts';
import { signUpPage } from '../pages/sign-up.page.ts';
import { consentForm, passwordForm } from './interaction.forms.ts';
import { formValue, retryAfter, type InteractionContext, type InteractionDetails, type LoadedInteraction } from '../http/interaction-context.ts';
import type { AuthMethod } from '../oidc/interaction-flows.ts';
import { SignInError } from '../credentials/sign-in-error.ts';
import type { PasswordSignIn } from './password-sign-in.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

export interface InteractionDeps {
  host: ProviderHost;
  interactions: InteractionContext;
  customers: Customers;
  passwordSignIn: PasswordSignIn;
  continuation: SignInContinuation;
  steps: PageSteps;
  metrics: Metrics;
  passwordMinLength: number;
  purposes: ConsentPurposes;
  ledger: ConsentLedger;
  /** Upstream providers offered as "Continue with …". */
  upstreams: (loaded: LoadedInteraction) => Promise<Array<{ key: string; name: string }>>;
  /** The one-time notice at a brand (single sign-on path). */
  brands: Pick<Brands, 'noticeDue' | 'visited' | 'responsibilityAt'>;
  /** The guest a `guest` claim token names (its details prefill the sign-up). */
  guestFor: (token: unknown) => Promise<{ email: string; givenName: string | null; familyName: string | null; consents: Array<{ purpose: string; decision: string }> } | undefined>;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set<AuthMethod>(['pwd', 'email', 'sms', 'otp', 'hwk', 'fed']);

/**
 * Hosted pages of the OIDC interaction (`/login/:uid`): sign-in, the sign-up form and the consent
 * screen. Each handler reads the interaction from oidc-provider, does one step, and hands the
 * result back. Codes, recovery and second factors have their own route files.
 */
export function interactionRoutes(app: FastifyInstance, deps: InteractionDeps): void {
  const { host, interactions, steps } = deps;

  steps.mount(app, {
    method: 'GET',
    path: '',
    prompt: 'any',
    handle: async (input) => {
      const { request, reply, loaded, csrfToken } = input;
      const { uid, details, page, clientName } = loaded;
      if (details.prompt.name === 'consent') {
        // First time at this brand, signed in to the group: the one-time notice, in the brand's look.
        if (details.prompt.reasons.includes(BRAND_FIRST_VISIT) && (await deps.brands.noticeDue(String(details.session?.accountId), loaded.brand))) {
          return sendPage(reply, 200, brandNoticePage(page, { action: `/login/${uid}/brand-seen`, csrf: csrfToken(), clientName }));
        }
        // The notice was the only reason and is no longer due (seen in another tab meanwhile): nothing to ask.
        if (details.prompt.reasons.every((reason) => reason === BRAND_FIRST_VISIT)) {
          await deps.brands.visited(String(details.session?.accountId), loaded.brand);
          return interactions.finish(request, reply, { consent: { grantId: await grantFor(host, details) }, [PURPOSES_ASKED]: true });
        }
        const customer = await deps.customers.get(String(details.session?.accountId));
        const asksAccess = details.prompt.reasons.some((reason) => reason !== PURPOSES_REQUESTED && reason !== BRAND_FIRST_VISIT);
        const scopes = asksAccess ? [...new Set(String(details.params.scope ?? '').split(' ').filter(Boolean))] : [];
        const purposes = showPurposes(await missingPurposes(deps.purposes, details), page.locale);
        return sendPage(reply, 200, consentPage(page, { uid, clientName, csrf: csrfToken(), email: customer.email, scopes, purposes, responsibility: await deps.brands.responsibilityAt(loaded.brand) }));
      }
      // Step-up: signed in with one factor, and the client asks for more; only the second is asked.
      // Any other reason (prompt=login, max_age …) means a whole new sign-in.
      const accountId = details.session?.accountId;
      const stepUpOnly = details.prompt.reasons.length > 0 && details.prompt.reasons.every((reason) => reason === MFA_REQUIRED);
      if (stepUpOnly && accountId) {
        const amr = ((details.session as { amr?: string[] } | undefined)?.amr ?? []).filter((method): method is AuthMethod => KNOWN_METHODS.has(method));
        return deps.continuation.continue(request, reply, loaded, { customerId: accountId, amr });
      }
      const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
      // prompt=create opens on sign-up, prefilled from login_hint or the guest being claimed.
      if (details.prompt.name === 'create') return signUp(input, loginHint);
      return signInPageFor(input, 200, { email: loginHint });
    },
  });

  async function signUp({ reply, loaded, csrfToken }: PageInput, loginHint?: string) {
    const { uid, page, clientName } = loaded;
    const guest = await deps.guestFor(loaded.details.params.guest);
    const values = { email: guest?.email ?? loginHint, given_name: guest?.givenName ?? undefined, family_name: guest?.familyName ?? undefined };
    // What the guest agreed to at checkout shows ticked; unticking it is a decision too.
    const preselected = new Set((guest?.consents ?? []).filter((choice) => choice.decision === 'granted').map((choice) => choice.purpose));
    const view = { uid, clientName, csrf: csrfToken(), passwordMinLength: deps.passwordMinLength, values, preselected, purposes: await signUpPurposes(deps.purposes, page.locale, loaded.brand), responsibility: await deps.brands.responsibilityAt(loaded.brand) };
    return sendPage(reply, 200, signUpPage(page, view));
  }

  /** The sign-in page, with the upstream providers offered, the address typed and what went wrong. */
  async function signInPageFor({ reply, loaded, csrfToken }: PageInput, status: number, shown: { email?: string; error?: string }) {
    const { uid, page, clientName } = loaded;
    return sendPage(reply, status, signInPage(page, { uid, clientName, csrf: csrfToken(), ...shown, connections: await deps.upstreams(loaded) }));
  }

  steps.mount(app, { method: 'GET', path: '/signup', handle: async (input) => signUp(input) });

  steps.mount(app, {
    method: 'POST',
    path: '/password',
    form: passwordForm,
    refuse: {
      csrf: async (input) => signInPageFor(input, 403, { error: input.loaded.page.t('error.csrf') }),
      form: async (input) => signInPageFor(input, 400, { error: input.loaded.page.t('error.invalid_credentials'), email: formValue(input.request.body, 'email') }),
    },
    handle: async (input) => {
      const { request, reply, loaded, form } = input;
      try {
        const customer = await deps.passwordSignIn.signIn({ ...form, ip: request.ip, pool: DEFAULT_POOL });
        const answer = await deps.continuation.continue(request, reply, loaded, { customerId: customer.id, amr: ['pwd'] });
        deps.metrics.signIn('password', 'success');
        return answer;
      } catch (error) {
        if (!(error instanceof SignInError)) throw error;
        deps.metrics.signIn('password', error.result);
        const seconds = retryAfter(reply, error);
        return signInPageFor(input, error.status, { error: loaded.page.t(`error.${error.code}` as MessageKey, { seconds }), email: form.email });
      }
    },
  });

  /** The consent screen's posts; one whose form had expired is told so on a plain page. */
  const consentPost = {
    method: 'POST',
    prompt: 'consent',
    refuse: { csrf: async ({ reply, loaded: { page } }: PageInput) => sendPage(reply, 403, messagePage(page, page.t('error.page.title'), page.t('error.csrf'))) },
  } as const;

  steps.mount(app, {
    ...consentPost,
    path: '/brand-seen',
    handle: async ({ request, reply, loaded: { details, brand } }) => {
      await deps.brands.visited(String(details.session?.accountId), brand);
      // Anything else the consent screen had to ask is asked now; otherwise the notice was all.
      if (details.prompt.reasons.some((reason) => reason !== BRAND_FIRST_VISIT)) return seeOther(reply, `/login/${details.uid}`);
      return interactions.finish(request, reply, { consent: { grantId: await grantFor(host, details) }, [PURPOSES_ASKED]: true });
    },
  });

  steps.mount(app, {
    ...consentPost,
    path: '/consent',
    handle: async ({ request, reply, loaded: { details, page } }) => {
      // A form that cannot be read is answered as the API answers one (`unknown_field`, `validation_failed`).
      const form = parseInput(consentForm, request.body, 'body');
      if (form.decision === 'deny') {
        return interactions.finish(request, reply, { error: 'access_denied', error_description: 'The customer denied access' });
      }
      const accountId = String(details.session?.accountId);
      const clientId = String(details.params.client_id);
      // The purposes the client asked for: each one shown is a decision, recorded with this client.
      const decisions = signUpDecisions(await missingPurposes(deps.purposes, details), form.shown ?? [], form.consent ?? [], form.consent_all);
      if (decisions.length > 0) {
        await deps.ledger.record(
          decisions.map((choice) => ({ purpose: choice.purpose, version: choice.version, decision: choice.granted ? 'granted' : 'declined' })),
          { customerId: accountId, locale: page.locale, channel: 'web', clientId, actor: { type: 'customer', id: accountId }, ip: request.ip },
        );
      }
      return interactions.finish(request, reply, { consent: { grantId: await grantFor(host, details) }, [PURPOSES_ASKED]: true });
    },
  });
}

/** The purposes the consent prompt reported the client asked for and the customer has not granted. */
async function missingPurposes(purposes: ConsentPurposes, details: InteractionDetails): Promise<PurposeVersion[]> {
  const missing = new Set((details.prompt.details as { missingPurposes?: string[] }).missingPurposes ?? []);
  return missing.size === 0 ? [] : (await purposes.list()).filter((purpose) => missing.has(purpose.key));
}

/** Adds exactly what the consent prompt reported missing to the customer's grant for this client. */
async function grantFor(host: ProviderHost, details: InteractionDetails): Promise<string> {
  const { Grant } = host.current;
  const accountId = String(details.session?.accountId);
  const clientId = String(details.params.client_id);
  const existing = details.grantId ? await Grant.find(details.grantId) : undefined;
  const grant = existing ?? new Grant({ accountId, clientId });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}
