import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { activeSession } from '../account/active-session.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { BrowserSession } from '../oidc/browser-session.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { parseInput } from '../validation/parse-input.ts';
import type { CsrfGuard } from './csrf.ts';
import { formValue } from './interaction-context.ts';
import type { MessageKey } from '../i18n/en.ts';
import type { PageContext } from '../pages/layout.ts';
import { pageContextFor } from './page-reply.ts';
import { refusedAs } from './page-step.ts';

/** What every account step has once the browser is signed in: its session, the page's language, a CSRF token. */
export interface AccountInput {
  request: FastifyRequest;
  reply: FastifyReply;
  session: BrowserSession;
  page: PageContext;
  /** The CSRF token for a form on this answer (sets the cookie when the browser has none). */
  csrfToken: () => string;
}

/** What an account step's handler is given: the above, the parsed params and the parsed form. */
export interface AccountStepInput<F, P> extends AccountInput {
  form: F;
  params: P;
}

/**
 * How a browser that may not take the step is answered. `back`: a 303 (no cache header, as these
 * pages always did) to `/account/login?return=<back>` — `back` is written into the address as
 * given — with `&fresh=1` when it is signed in but fails `needs`. `script` (a script's JSON
 * endpoint): no redirect; 401 `login_required` without a session, 401 `fresh_sign_in` with this
 * message when it fails `needs`.
 */
type SignIn = { back: string; script?: never } | { script: string; back?: never };

/**
 * One of the customer's own pages (`/account/…`), declared like a sign-in step (`page-step.ts`):
 * the helper loads the active session (a disabled customer counts as signed out) and sends a
 * browser without one to sign in, insists on `needs`, checks CSRF and Origin on a POST, parses the
 * params and then the form, and calls `handle`.
 */
export type AccountStepRoute<F, P> = SignIn & {
  method: 'GET' | 'POST';
  /** The full path, e.g. `/account/security/totp`. */
  path: string;
  /**
   * What the session must also be (a recent sign-in, say); one that is not is sent to sign in
   * again. Read before the CSRF check, or after it with `after: 'csrf'`.
   */
  needs?: { session: (session: BrowserSession) => boolean | Promise<boolean>; after?: 'csrf' };
  /** The route's params, parsed after the CSRF check (a 400 `validation_failed`/`unknown_field` as `parseInput` says). */
  params?: z.ZodType<P>;
  /** A POST's form, parsed after the params; refused by default as `parseInput` does (400). */
  form?: z.ZodType<F>;
  /** How a refused post is answered (a page drawn again, say); by default `csrf` 403 is thrown, or `parseInput`'s 400. */
  refuse?: {
    csrf?: (input: AccountInput) => Promise<unknown>;
    form?: (input: AccountInput & { params: P }, error: z.ZodError) => Promise<unknown>;
  };
  handle: (input: AccountStepInput<F, P>) => Promise<unknown>;
};

export class AccountSteps {
  readonly #host: ProviderHost;
  readonly #customers: Customers;
  readonly #csrf: CsrfGuard;

  constructor(deps: { host: ProviderHost; customers: Customers; csrf: CsrfGuard }) {
    this.#host = deps.host;
    this.#customers = deps.customers;
    this.#csrf = deps.csrf;
  }

  mount<F = undefined, P = undefined>(app: FastifyInstance, route: AccountStepRoute<F, P>): void {
    app.route({ method: route.method, url: route.path, handler: (request, reply) => this.#serve(route, request, reply) });
  }

  async #serve<F, P>(route: AccountStepRoute<F, P>, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const session = await activeSession(this.#host, this.#customers, request, reply);
    if (!session) return signIn(route, reply, false);
    const needs = route.needs;
    if (needs && needs.after !== 'csrf' && !(await needs.session(session))) return signIn(route, reply, true);
    const input: AccountInput = { request, reply, session, page: pageContextFor(request), csrfToken: () => this.#csrf.token(request, reply) };
    if (route.method === 'POST' && !this.#csrf.verify(request, formValue(request.body, 'csrf'))) return (route.refuse?.csrf ?? refuseCsrf)(input);
    if (needs?.after === 'csrf' && !(await needs.session(session))) return signIn(route, reply, true);
    const params = route.params ? parseInput(route.params, request.params, 'params') : (undefined as P);
    let form = undefined as F;
    if (route.form) {
      const parsed = route.form.safeParse(request.body);
      if (!parsed.success) return route.refuse?.form ? route.refuse.form({ ...input, params }, parsed.error) : parseInput(route.form, request.body, 'body');
      form = parsed.data;
    }
    return route.handle({ ...input, params, form });
  }
}

/**
 * The refusals of an account page that shows its own errors (`refuse: redrawn(page, …)`), as
 * `drawnAgain` in `page-step.ts`: the page drawn again with `error.csrf` (403), or with
 * `unreadable` for a form that cannot be read (400).
 */
export function redrawn(draw: (input: AccountInput, status: number, error: string) => Promise<unknown>, unreadable: MessageKey) {
  return {
    csrf: async (input: AccountInput) => draw(input, 403, input.page.t('error.csrf')),
    form: async (input: AccountInput) => draw(input, 400, input.page.t(unreadable)),
  };
}

/** A browser without a session (`fresh`: one that must sign in again) sent to the account sign-in, or refused (a script's endpoint). */
function signIn(route: SignIn, reply: FastifyReply, fresh: boolean): unknown {
  if (route.script !== undefined) {
    if (fresh) throw new DomainError('fresh_sign_in', 401, route.script);
    throw new DomainError('login_required', 401, 'Sign in first');
  }
  return reply.code(303).redirect(`/account/login?return=${route.back}${fresh ? '&fresh=1' : ''}`, 303);
}

const refuseCsrf = refusedAs('csrf', 403, 'The form had expired');
