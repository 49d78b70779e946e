import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, type InteractionResults } from 'oidc-provider';
import type { CustomerService } from '../customers/customer.service.ts';
import { DEFAULT_POOL } from '../customers/customer.service.ts';
import { DomainError } from '../errors/domain-error.ts';
import { parseInput } from '../http/api-route.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import type { Metrics } from '../ops/metrics.ts';
import { consentPage } from '../pages/consent.page.ts';
import type { MessageKey } from '../pages/i18n/en.ts';
import type { PageContext } from '../pages/layout.ts';
import { messagePage } from '../pages/message.page.ts';
import { signInPage } from '../pages/sign-in.page.ts';
import { signUpPage } from '../pages/sign-up.page.ts';
import { consentForm, passwordForm, signUpForm, uidParams } from './interaction.forms.ts';
import { SignInError, type PasswordSignIn } from './password-sign-in.ts';
import type { SelfRegistration } from './self-registration.ts';

export interface InteractionDeps {
  host: ProviderHost;
  customers: CustomerService;
  passwordSignIn: PasswordSignIn;
  registration: SelfRegistration;
  csrf: CsrfGuard;
  metrics: Metrics;
  passwordMinLength: number;
}

type Details = Awaited<ReturnType<ProviderHost['current']['interactionDetails']>>;

/**
 * Hosted pages of the OIDC interaction (`/login/:uid`): sign-in, sign-up and the consent screen.
 * Each handler reads the interaction from oidc-provider, does one step, and hands the result back.
 */
export function interactionRoutes(app: FastifyInstance, deps: InteractionDeps): void {
  const { host, csrf } = deps;

  async function load(request: FastifyRequest, reply: FastifyReply) {
    const { uid } = parseInput(uidParams, request.params, 'params');
    const details = await host.current.interactionDetails(request.raw, reply.raw);
    if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
    const page = pageContextFor(request, details.params.ui_locales);
    const client = await host.current.Client.find(String(details.params.client_id));
    const clientName = client?.clientName ?? String(details.params.client_id);
    return { uid, details, page, clientName };
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, result: InteractionResults) {
    const redirectTo = await host.current.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
    return reply.code(303).header('cache-control', 'no-store').redirect(redirectTo, 303);
  }

  function requirePrompt(details: Details, name: 'login' | 'consent') {
    if (details.prompt.name !== name) throw new DomainError('wrong_step', 400, `This sign-in is not at the ${name} step`);
  }

  function refuse(page: PageContext, reason: MessageKey, params?: Record<string, string | number>) {
    return page.t(reason, params);
  }

  app.get('/login/:uid', async (request, reply) => {
    const { uid, details, page, clientName } = await load(request, reply);
    if (details.prompt.name === 'consent') {
      const customer = await deps.customers.get(String(details.session?.accountId));
      const scopes = [...new Set(String(details.params.scope ?? '').split(' ').filter(Boolean))];
      return sendPage(reply, 200, consentPage(page, { uid, clientName, csrf: csrf.token(request, reply), email: customer.email, scopes }));
    }
    const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
    return sendPage(reply, 200, signInPage(page, { uid, clientName, csrf: csrf.token(request, reply), email: loginHint }));
  });

  app.get('/login/:uid/signup', async (request, reply) => {
    const { uid, details, page, clientName } = await load(request, reply);
    requirePrompt(details, 'login');
    const view = { uid, clientName, csrf: csrf.token(request, reply), passwordMinLength: deps.passwordMinLength };
    return sendPage(reply, 200, signUpPage(page, view));
  });

  app.post('/login/:uid/password', async (request, reply) => {
    const { uid, details, page, clientName } = await load(request, reply);
    requirePrompt(details, 'login');
    const token = csrf.token(request, reply);
    const again = (status: number, error: string, email?: string) =>
      sendPage(reply, status, signInPage(page, { uid, clientName, csrf: token, email, error }));
    const rawBody = request.body as Record<string, unknown> | undefined;
    if (!csrf.verify(request, rawBody?.csrf)) return again(403, refuse(page, 'error.csrf'));
    const form = passwordForm.safeParse(rawBody);
    if (!form.success) return again(400, refuse(page, 'error.invalid_credentials'), typeof rawBody?.email === 'string' ? rawBody.email : undefined);
    try {
      const customer = await deps.passwordSignIn.signIn({ ...form.data, ip: request.ip, pool: DEFAULT_POOL });
      deps.metrics.signIn('password', 'success');
      return await finish(request, reply, { login: { accountId: customer.id, amr: ['pwd'], remember: true } });
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      deps.metrics.signIn('password', error.result);
      const seconds = retryAfter(reply, error);
      return again(error.status, refuse(page, `error.${error.code}` as MessageKey, { seconds }), form.data.email);
    }
  });

  app.post('/login/:uid/signup', async (request, reply) => {
    const { uid, details, page, clientName } = await load(request, reply);
    requirePrompt(details, 'login');
    const token = csrf.token(request, reply);
    const rawBody = request.body as Record<string, unknown> | undefined;
    const again = (status: number, error: string) => {
      const values = {
        email: typeof rawBody?.email === 'string' ? rawBody.email : undefined,
        given_name: typeof rawBody?.given_name === 'string' ? rawBody.given_name : undefined,
        family_name: typeof rawBody?.family_name === 'string' ? rawBody.family_name : undefined,
      };
      const view = { uid, clientName, csrf: token, passwordMinLength: deps.passwordMinLength, values, error };
      return sendPage(reply, status, signUpPage(page, view));
    };
    if (!csrf.verify(request, rawBody?.csrf)) return again(403, refuse(page, 'error.csrf'));
    const form = signUpForm.safeParse(rawBody);
    if (!form.success) {
      const emailBad = form.error.issues.some((issue) => issue.path[0] === 'email');
      return again(400, refuse(page, emailBad ? 'error.invalid_email' : 'error.invalid_form'));
    }
    const { csrf: _csrf, ...input } = form.data;
    try {
      const customer = await deps.registration.register({ ...input, email_verified: false, locale: page.locale }, { ip: request.ip, pool: DEFAULT_POOL });
      deps.metrics.signIn('password', 'success');
      return await finish(request, reply, { login: { accountId: customer.id, amr: ['pwd'], remember: true } });
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      const seconds = retryAfter(reply, error);
      return again(error.status, refuse(page, `error.${error.code}` as MessageKey, { min: deps.passwordMinLength, seconds }));
    }
  });

  app.post('/login/:uid/consent', async (request, reply) => {
    const { details, page } = await load(request, reply);
    requirePrompt(details, 'consent');
    const rawBody = request.body as Record<string, unknown> | undefined;
    if (!csrf.verify(request, rawBody?.csrf)) {
      return sendPage(reply, 403, messagePage(page, page.t('error.page.title'), page.t('error.csrf')));
    }
    const form = parseInput(consentForm, rawBody, 'body');
    if (form.decision === 'deny') {
      return finish(request, reply, { error: 'access_denied', error_description: 'The customer denied access' });
    }
    return finish(request, reply, { consent: { grantId: await grantFor(host, details) } });
  });
}

/** A throttled step answers Retry-After; the seconds also go into the page's message. */
function retryAfter(reply: FastifyReply, error: DomainError): number {
  const seconds = (error.details as { retry_after?: number } | undefined)?.retry_after ?? 0;
  if (error.status === 429) reply.header('retry-after', String(seconds));
  return seconds;
}

/** Adds exactly what the consent prompt reported missing to the customer's grant for this client. */
async function grantFor(host: ProviderHost, details: Details): Promise<string> {
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
