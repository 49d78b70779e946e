import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Customers } from '../customers/customers.ts';
import type { Passkeys } from '../credentials/passkeys.ts';
import type { SecondFactors } from '../credentials/second-factors.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AccountInput, AccountSteps } from '../http/account-step.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { refusedAs } from '../http/page-step.ts';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { ACCOUNT_CLIENT_ID } from '../oidc/account-client.ts';
import type { BrowserSession } from '../oidc/browser-session.ts';
import { isFresh, mayAddSignInMethod, multiFactor } from './freshness.ts';
import { accountSecurityPage } from '../pages/account-security.page.ts';
import type { MessageKey } from '../i18n/en.ts';
import { recoveryCodesPage, totpEnrolmentPage } from '../pages/second-factor.page.ts';
import { continueForm, enrolTotpForm, passkeyForm } from '../flows/interaction.forms.ts';
import { parseJson } from '../validation/parse-input.ts';
import { describeDevice, type CustomerSessions } from './customer-sessions.ts';
import type { SecurityNotices } from './security-notices.ts';

export interface AccountDeps {
  accountSteps: AccountSteps;
  issuer: string;
  customers: Customers;
  sessions: CustomerSessions;
  factors: SecondFactors;
  passkeys: Passkeys;
  notices: SecurityNotices;
  csrf: CsrfGuard;
}

const STATE_COOKIE = 'pv_account_login';
const RETURN_PATH = /^\/account(\/[a-z0-9/-]*)?$/;
const NOTICES = ['session_ended', 'others_ended', 'mfa_on', 'mfa_off', 'passkey_added', 'passkey_removed', 'email_verified', 'phone_verified', 'phone_removed', 'password_changed'] as const;
const loginQuery = z.strictObject({ return: z.string().max(200).regex(RETURN_PATH).default('/account/security'), fresh: z.literal('1').optional() });
const callbackQuery = z.looseObject({ state: z.string().max(100), code: z.string().max(500).optional(), error: z.string().max(100).optional() });
const securityQuery = z.strictObject({ done: z.enum(NOTICES).optional() });
const idParams = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
/** Where the account sign-in comes back to, as these pages have always written it (encoded). */
const SECURITY = encodeURIComponent('/account/security');
const TOTP = encodeURIComponent('/account/security/totp');

/**
 * The customer's self-service pages. They sign in through the authorization endpoint as the
 * built-in first-party client `portvakt-account` (PKCE; the session cookie is what counts here).
 */
export function accountRoutes(app: FastifyInstance, deps: AccountDeps): void {
  const { csrf, accountSteps } = deps;
  const secure = deps.issuer.startsWith('https://');

  const mayAddPasskey = (session: BrowserSession) => mayAddSignInMethod(session, deps.factors);
  const done = (reply: FastifyReply, notice: (typeof NOTICES)[number]) => reply.code(303).redirect(`/account/security?done=${notice}`, 303);
  /** A change that needs a recent sign-in; otherwise a fresh one, back to the security page. */
  const recent = { back: SECURITY, needs: { session: isFresh } };

  app.get('/account', async (_request, reply) => reply.code(303).redirect('/account/security', 303));

  app.get('/account/login', async (request, reply) => {
    const query = loginQuery.safeParse(request.query ?? {});
    if (!query.success) throw new DomainError('invalid_request', 400, 'Bad return address');
    const state = randomBytes(24).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    reply.setCookie(STATE_COOKIE, `${state}.${query.data.return}`, { path: '/account', httpOnly: true, sameSite: 'lax', secure, maxAge: 3600 });
    const params = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${deps.issuer}/account/callback`,
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ui_locales: pageContextFor(request).locale,
      ...(query.data.fresh ? { max_age: '0' } : {}),
    });
    return reply.code(303).redirect(`/auth?${params}`, 303);
  });

  app.get('/account/callback', async (request, reply) => {
    const query = callbackQuery.safeParse(request.query ?? {});
    const [state, back = '/account/security'] = (request.cookies[STATE_COOKIE] ?? '').split(/\.(.*)/s);
    reply.clearCookie(STATE_COOKIE, { path: '/account' });
    if (!query.success || !state || query.data.state !== state || !RETURN_PATH.test(back)) throw new DomainError('invalid_request', 400, 'The sign-in did not start here');
    if (query.data.error) throw new DomainError('access_denied', 400, 'The sign-in was cancelled');
    // The code is not redeemed: the session cookie the sign-in set is all these pages use, and the
    // code is useless to anyone else (PKCE verifier discarded, 60 s lifetime).
    return reply.code(303).redirect(back, 303);
  });

  accountSteps.mount(app, {
    method: 'GET',
    path: '/account/security',
    back: SECURITY,
    handle: async ({ request, reply, session, page, csrfToken }) => {
      const query = securityQuery.safeParse(request.query ?? {});
      const customer = await deps.customers.get(session.accountId);
      const [sessions, factors, passkeys] = await Promise.all([deps.sessions.list(session.accountId), deps.factors.status(session.accountId), deps.passkeys.list(session.accountId)]);
      const notice = query.success && query.data.done ? page.t(`account.done.${query.data.done}` as MessageKey) : undefined;
      const canAddPasskey = isFresh(session) && (!factors.totp || multiFactor(session));
      const view = { csrf: csrfToken(), email: customer.email, emailVerified: customer.emailVerifiedAt !== null, phone: customer.phoneVerifiedAt ? customer.phone : null, currentSessionUid: session.uid, sessions, factors, passkeys, canAddPasskey, notice };
      return sendPage(reply, 200, accountSecurityPage(page, view));
    },
  });

  accountSteps.mount(app, {
    method: 'POST',
    path: '/account/security/sessions/:id/end',
    back: SECURITY,
    params: idParams,
    handle: async ({ reply, session, params }) => {
      if (!(await deps.sessions.end(session.accountId, params.id))) throw new DomainError('not_found', 404, 'No such session');
      return done(reply, 'session_ended');
    },
  });

  accountSteps.mount(app, {
    method: 'POST',
    path: '/account/security/sessions/end-others',
    back: SECURITY,
    handle: async ({ reply, session }) => {
      await deps.sessions.endOthers(session.accountId, session.uid);
      return done(reply, 'others_ended');
    },
  });

  const enrolment = async (request: FastifyRequest, reply: FastifyReply, session: BrowserSession, status = 200, error?: string) => {
    const page = pageContextFor(request);
    const customer = await deps.customers.get(session.accountId);
    const begun = await deps.factors.beginTotp(session.accountId, customer.email);
    return sendPage(reply, status, totpEnrolmentPage(page, { action: '/account/security/totp', csrf: csrf.token(request, reply), lead: page.t('account.mfa.enrol_lead'), ...begun, error }));
  };

  // Replacing an authenticator that is already on needs a fresh sign-in, like turning it off.
  const mayEnrol = async (session: BrowserSession) => isFresh(session) || !(await deps.factors.status(session.accountId)).totp;
  const enrolling = { back: TOTP, needs: { session: mayEnrol } };

  accountSteps.mount(app, { ...enrolling, method: 'GET', path: '/account/security/totp', handle: async ({ request, reply, session }) => enrolment(request, reply, session) });

  accountSteps.mount(app, {
    ...enrolling,
    method: 'POST',
    path: '/account/security/totp',
    form: enrolTotpForm,
    refuse: { form: async ({ request, reply, session, page }: AccountInput) => enrolment(request, reply, session, 400, page.t('error.invalid_code')) },
    handle: async ({ request, reply, session, page, form }) => {
      try {
        const codes = await deps.factors.confirmTotp(session.accountId, form.ticket, form.code, { replace: true });
        // From now on a password alone is not enough: sessions signed in with one factor elsewhere end.
        await deps.sessions.endOthers(session.accountId, session.uid);
        await deps.notices.send(session.accountId, 'totp_added');
        return sendPage(reply, 200, recoveryCodesPage(page, { action: '/account/security/done', csrf: csrf.token(request, reply), codes }));
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        return enrolment(request, reply, session, error.status, page.t(`error.${error.code}` as MessageKey));
      }
    },
  });

  app.post('/account/security/done', async (_request, reply) => done(reply, 'mfa_on'));

  accountSteps.mount(app, {
    ...recent,
    method: 'POST',
    path: '/account/security/recovery-codes',
    handle: async ({ reply, session, page, csrfToken }) => {
      if (!(await deps.factors.status(session.accountId)).totp) throw new DomainError('wrong_step', 400, 'Two-step verification is off');
      const codes = await deps.factors.renewRecoveryCodes(session.accountId);
      return sendPage(reply, 200, recoveryCodesPage(page, { action: '/account/security/done', csrf: csrfToken(), codes }));
    },
  });

  accountSteps.mount(app, {
    ...recent,
    method: 'POST',
    path: '/account/security/totp/disable',
    handle: async ({ reply, session }) => {
      await deps.factors.disable(session.accountId);
      return done(reply, 'mfa_off');
    },
  });

  // The passkey script's endpoint: told 401 in JSON rather than sent to sign in.
  accountSteps.mount(app, {
    method: 'POST',
    path: '/account/security/passkeys/options',
    script: 'Sign in again to add a passkey',
    needs: { session: mayAddPasskey },
    form: continueForm,
    handle: async ({ request, reply, session }) => {
      const customer = await deps.customers.get(session.accountId);
      const name = [customer.givenName, customer.familyName].filter(Boolean).join(' ');
      const options = await deps.passkeys.registrationOptions(`account:${session.uid}`, { id: customer.id, email: customer.email, ...(name ? { name } : {}) }, request.ip);
      return reply.header('cache-control', 'no-store').type('application/json').send(options);
    },
  });

  accountSteps.mount(app, {
    method: 'POST',
    path: '/account/security/passkeys',
    back: SECURITY,
    needs: { session: mayAddPasskey },
    form: passkeyForm,
    refuse: { form: refusedAs('passkey_refused', 400, 'Malformed passkey answer') },
    handle: async ({ request, reply, session, form }) => {
      const device = describeUserAgent(request.headers['user-agent']);
      await deps.passkeys.register(`account:${session.uid}`, session.accountId, parseJson(form.response), device);
      await deps.notices.send(session.accountId, 'passkey_added', device);
      return done(reply, 'passkey_added');
    },
  });

  accountSteps.mount(app, {
    ...recent,
    method: 'POST',
    path: '/account/security/passkeys/:id/remove',
    params: idParams,
    handle: async ({ reply, session, params }) => {
      if (!(await deps.passkeys.remove(session.accountId, params.id))) throw new DomainError('not_found', 404, 'No such passkey');
      return done(reply, 'passkey_removed');
    },
  });
}

function describeUserAgent(userAgent: string | undefined): string {
  const { browser, system } = describeDevice(userAgent ?? '');
  return [browser, system].filter(Boolean).join(' · ') || 'Passkey';
}
