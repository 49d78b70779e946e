import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes, PurposeVersion } from '../consent/consent-purposes.ts';
import { showPurposes, signUpDecisions, signUpPurposes } from '../consent/sign-up-purposes.ts';
import type { Customers } from '../customers/customers.ts';
import { DEFAULT_POOL } from '../customers/customers.ts';
import { parseInput } from '../validation/parse-input.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
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
import { formValue, requirePrompt, retryAfter, type InteractionContext, type InteractionDetails, type LoadedInteraction } from '../http/interaction-context.ts';
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
  csrf: CsrfGuard;
  metrics: Metrics;
  passwordMinLength: number;
  purposes: ConsentPurposes;
  ledger: ConsentLedger;
  /** Upstream providers offered as "Continue with …". */
  upstreams: (loaded: LoadedInteraction) => Promise<Array<{ key: string; name: string }>>;
  /** The guest a `guest` claim token names (its details prefill the sign-up). */
  /** The one-time notice at a brand (single sign-on path). */
  brands: { noticeDue(customerId: string, brand: string | null): Promise<string | undefined>; visited(customerId: string, brand: string | null): Promise<void> };
  guestFor: (token: unknown) => Promise<{ email: string; givenName: string | null; familyName: string | null; consents: Array<{ purpose: string; decision: string }> } | undefined>;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set<AuthMethod>(['pwd', 'email', 'sms', 'otp', 'hwk', 'fed']);

/**
 * Hosted pages of the OIDC interaction (`/login/:uid`): sign-in, the sign-up form and the consent
 * screen. Each handler reads the interaction from oidc-provider, does one step, and hands the
 * result back. Codes, recovery and second factors have their own route files.
 */
export function interactionRoutes(app: FastifyInstance, deps: InteractionDeps): void {
  const { host, interactions, csrf } = deps;

  app.get('/login/:uid', async (request, reply) => {
    const loaded = await interactions.load(request, reply);
    const { uid, details, page, clientName } = loaded;
    if (details.prompt.name === 'consent') {
      // First time at this brand, signed in to the group: the one-time notice, in the brand's look.
      if (details.prompt.reasons.includes(BRAND_FIRST_VISIT) && (await deps.brands.noticeDue(String(details.session?.accountId), loaded.brand))) {
        return sendPage(reply, 200, brandNoticePage(page, { action: `/login/${uid}/brand-seen`, csrf: csrf.token(request, reply), clientName }));
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
      return sendPage(reply, 200, consentPage(page, { uid, clientName, csrf: csrf.token(request, reply), email: customer.email, scopes, purposes }));
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
    if (details.prompt.name === 'create') return signUp(request, reply, loaded, loginHint);
    return sendPage(reply, 200, signInPage(page, { uid, clientName, csrf: csrf.token(request, reply), email: loginHint, connections: await deps.upstreams(loaded) }));
  });

  async function signUp(request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, loginHint?: string) {
    const { uid, page, clientName } = loaded;
    const guest = await deps.guestFor(loaded.details.params.guest);
    const values = { email: guest?.email ?? loginHint, given_name: guest?.givenName ?? undefined, family_name: guest?.familyName ?? undefined };
    // What the guest agreed to at checkout shows ticked; unticking it is a decision too.
    const preselected = new Set((guest?.consents ?? []).filter((choice) => choice.decision === 'granted').map((choice) => choice.purpose));
    const view = { uid, clientName, csrf: csrf.token(request, reply), passwordMinLength: deps.passwordMinLength, values, preselected, purposes: await signUpPurposes(deps.purposes, page.locale, loaded.brand) };
    return sendPage(reply, 200, signUpPage(page, view));
  }

  app.get('/login/:uid/signup', async (request, reply) => signUp(request, reply, await interactions.loadLogin(request, reply)));

  app.post('/login/:uid/password', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const { uid, page, clientName } = loaded;
    const token = csrf.token(request, reply);
    const again = async (status: number, error: string, email?: string) =>
      sendPage(reply, status, signInPage(page, { uid, clientName, csrf: token, email, error, connections: await deps.upstreams(loaded) }));
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return again(403, page.t('error.csrf'));
    const form = passwordForm.safeParse(request.body);
    if (!form.success) return again(400, page.t('error.invalid_credentials'), formValue(request.body, 'email'));
    try {
      const customer = await deps.passwordSignIn.signIn({ ...form.data, ip: request.ip, pool: DEFAULT_POOL });
      const answer = await deps.continuation.continue(request, reply, loaded, { customerId: customer.id, amr: ['pwd'] });
      deps.metrics.signIn('password', 'success');
      return answer;
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      deps.metrics.signIn('password', error.result);
      const seconds = retryAfter(reply, error);
      return again(error.status, page.t(`error.${error.code}` as MessageKey, { seconds }), form.data.email);
    }
  });

  app.post('/login/:uid/brand-seen', async (request, reply) => {
    const { details, page, brand } = await interactions.load(request, reply);
    requirePrompt(details, 'consent');
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return sendPage(reply, 403, messagePage(page, page.t('error.page.title'), page.t('error.csrf')));
    await deps.brands.visited(String(details.session?.accountId), brand);
    // Anything else the consent screen had to ask is asked now; otherwise the notice was all.
    if (details.prompt.reasons.some((reason) => reason !== BRAND_FIRST_VISIT)) return reply.code(303).header('cache-control', 'no-store').redirect(`/login/${details.uid}`, 303);
    return interactions.finish(request, reply, { consent: { grantId: await grantFor(host, details) }, [PURPOSES_ASKED]: true });
  });

  app.post('/login/:uid/consent', async (request, reply) => {
    const { details, page } = await interactions.load(request, reply);
    requirePrompt(details, 'consent');
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) {
      return sendPage(reply, 403, messagePage(page, page.t('error.page.title'), page.t('error.csrf')));
    }
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
