import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { ApiRegistry, Method } from '../http/api-route.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { formValue } from '../http/interaction-context.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import { consoleTranslator } from '../i18n/console-locale.ts';
import type { OperatorAccount, OperatorAccounts } from '../operators/operator-accounts.ts';
import type { Operator } from '../operators/operator-roles.ts';
import type { OperatorSession, OperatorSessions } from '../operators/operator-sessions.ts';
import type { ConsolePage, FieldErrors, NavItem } from '../pages/console/console-layout.ts';
import { forbiddenPage } from '../pages/console/forbidden.page.ts';
import { parseInput } from '../validation/parse-input.ts';
import type { ConsoleCookies } from './console-cookies.ts';
import { fieldErrors } from './field-errors.ts';
import { SETTINGS_OPERATION, SETTINGS_PAGES } from './settings-pages.ts';

/** Sensitive operations need a sign-in this recent. */
export const FRESH_SIGN_IN_MS = 10 * 60_000;

/** The console's menu: each entry shown only when the operator's roles admit its operation. */
const NAV: ReadonlyArray<NavItem & { operation: [Method, string] }> = [
  { href: '/console/customers', label: 'console.nav.customers', operation: ['GET', '/customers'] },
  { href: '/console/privacy', label: 'console.nav.privacy', operation: ['GET', '/privacy-requests'] },
  { href: '/console/data-map', label: 'console.nav.data_map', operation: ['GET', '/data-map'] },
  { href: '/console/consent-figures', label: 'privacy.nav.consent_figures', operation: ['GET', '/consent-figures'] },
  { href: '/console/audit', label: 'privacy.nav.audit', operation: ['GET', '/audit/verify'] },
  { href: '/console/operators', label: 'console.nav.operators', operation: ['GET', '/operators'] },
  // The administrator's pages, in one entry (a menu that fits a phone), marked current on each of them.
  { href: '/console/settings', label: 'settings.nav', operation: SETTINGS_OPERATION, covers: SETTINGS_PAGES.map((entry) => entry.href) },
];

export interface ConsoleInput {
  request: FastifyRequest;
  reply: FastifyReply;
  page: ConsolePage;
  /** The operator as the management API knows them (`operator:{id}` in the audit log). */
  operator: Operator;
  account: OperatorAccount;
  session: OperatorSession;
  csrfToken: string;
  /** Runs a management operation as this operator: the same role check, validation and audit as `/api/v1`. */
  run: <T = any>(method: Method, url: string, call?: { params?: unknown; query?: unknown; body?: unknown }) => Promise<T>;
  /** Whether the operator's roles admit an operation (what a page shows). */
  allows: (method: Method, url: string) => boolean;
}

export interface ConsoleStepInput<F, P> extends ConsoleInput {
  form: F;
  params: P;
}

/**
 * One console page or form post (`/console/…`), declared like an API route: the helper resumes
 * the operator's session (idle or ended: sent to sign in), checks CSRF and Origin on a POST,
 * refuses with 403 what the page's `operation` would refuse at `/api/v1` for these roles, asks
 * for a fresh sign-in before a sensitive operation, parses params and form, then calls `handle`.
 */
export interface ConsoleStepRoute<F, P> {
  method: 'GET' | 'POST';
  path: string;
  /** The management operation this page shows or this post performs. */
  operation?: [Method, string];
  params?: z.ZodType<P>;
  form?: z.ZodType<F>;
  /** A refused form drawn again with its field errors (in the page's language), status 400. */
  refuse?: (input: ConsoleInput & { params: P; body: Record<string, unknown> }, errors: FieldErrors) => Promise<unknown>;
  handle: (input: ConsoleStepInput<F, P>) => Promise<unknown>;
}

export class ConsoleSteps {
  readonly #api: ApiRegistry;
  readonly #sessions: OperatorSessions;
  readonly #accounts: OperatorAccounts;
  readonly #csrf: CsrfGuard;
  readonly #cookies: ConsoleCookies;

  constructor(deps: { api: ApiRegistry; sessions: OperatorSessions; accounts: OperatorAccounts; csrf: CsrfGuard; cookies: ConsoleCookies }) {
    this.#api = deps.api;
    this.#sessions = deps.sessions;
    this.#accounts = deps.accounts;
    this.#csrf = deps.csrf;
    this.#cookies = deps.cookies;
  }

  readonly #mounted: Array<{ method: 'GET' | 'POST'; path: string; operation: [Method, string] | undefined }> = [];

  /** Every console page and post with the operation it runs (the role-wall test walks them all). */
  routes(): ReadonlyArray<{ method: 'GET' | 'POST'; path: string; operation: [Method, string] | undefined }> {
    return this.#mounted;
  }

  mount<F = undefined, P = undefined>(app: FastifyInstance, route: ConsoleStepRoute<F, P>): void {
    this.#mounted.push({ method: route.method, path: route.path, operation: route.operation });
    app.route({ method: route.method, url: route.path, handler: (request, reply) => this.#serve(route, request, reply) });
  }

  /** The page context of a browser that is not signed in (sign-in and invitation pages). */
  anonymousPage(request: FastifyRequest, reply: FastifyReply): ConsolePage {
    const locale = this.#cookies.locale(request, reply);
    return { locale, t: consoleTranslator(locale), path: request.url.split('?')[0]! };
  }

  async #serve<F, P>(route: ConsoleStepRoute<F, P>, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const presented = this.#cookies.session(request);
    const session = await this.#sessions.resume(presented);
    const account = session && (await this.#accounts.secretsById(session.operatorId))?.account;
    if (!session || !account) return this.#signIn(request, reply, presented ? 'idle' : undefined);
    const input = this.#input(request, reply, session, account);
    if (route.method === 'POST' && !this.#csrf.verify(request, formValue(request.body, 'csrf'))) {
      return sendPage(reply, 403, forbiddenPage(input.page, input.page.t('error.csrf')));
    }
    if (route.operation) {
      const [method, url] = route.operation;
      if (!this.#api.allows(input.operator, method, url)) return sendPage(reply, 403, forbiddenPage(input.page));
      if (this.#api.operation(method, url).sensitive && Date.now() - session.authenticatedAt > FRESH_SIGN_IN_MS) return this.#signIn(request, reply, 'fresh');
    }
    const params = route.params ? parseInput(route.params, request.params, 'params') : (undefined as P);
    let form = undefined as F;
    if (route.form) {
      const parsed = route.form.safeParse(request.body, { reportInput: true });
      if (!parsed.success) {
        const errors = fieldErrors(parsed.error, input.page.t);
        if (route.refuse) return route.refuse({ ...input, params, body: (request.body ?? {}) as Record<string, unknown> }, errors);
        throw new DomainError('validation_failed', 400, 'The form could not be read');
      }
      form = parsed.data;
    }
    return route.handle({ ...input, params, form });
  }

  #input(request: FastifyRequest, reply: FastifyReply, session: OperatorSession, account: OperatorAccount): ConsoleInput {
    const operator: Operator = { id: `operator:${account.id}`, roles: account.roles, systems: [], consentPurposes: null };
    const allows = (method: Method, url: string) => this.#api.allows(operator, method, url);
    const csrfToken = this.#csrf.token(request, reply);
    const locale = this.#cookies.locale(request, reply);
    const nav = [{ href: '/console', label: 'console.nav.home' as const }, ...NAV.filter((item) => allows(...item.operation)).map(({ href, label, covers }) => ({ href, label, ...(covers ? { covers } : {}) }))];
    const page: ConsolePage = { locale, t: consoleTranslator(locale), path: request.url.split('?')[0]!, operator: { name: account.name, roles: account.roles, nav, csrf: csrfToken } };
    const run = (method: Method, url: string, call: { params?: unknown; query?: unknown; body?: unknown } = {}) => this.#api.run(method, url, operator, call, { ip: request.ip }) as Promise<any>;
    return { request, reply, page, operator, account, session, csrfToken, run, allows };
  }

  /** To the sign-in page, coming back here after it (a POST comes back to the page it was sent from). */
  #signIn(request: FastifyRequest, reply: FastifyReply, why: 'idle' | 'fresh' | undefined): unknown {
    const path = request.url.split('?')[0]!;
    const back = request.method === 'GET' ? request.url : path.slice(0, path.lastIndexOf('/')) || '/console';
    if (why === 'idle') this.#cookies.clearSession(reply);
    return seeOther(reply, `/console/sign-in?return=${encodeURIComponent(back)}${why ? `&${why}=1` : ''}`);
  }
}
