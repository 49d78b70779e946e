import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { codeForm } from '../flows/interaction.forms.ts';
import type { MessageKey } from '../i18n/en.ts';
import type { FlowState, FlowStateName, InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { CsrfGuard } from './csrf.ts';
import { formValue, requirePrompt, retryAfter, type InteractionContext, type LoadedInteraction } from './interaction-context.ts';

type FlowIn<S extends FlowStateName> = Extract<FlowState, { state: S }>;

/** What every step has before any flow is read: the interaction, and a CSRF token for a form on this answer. */
export interface PageInput {
  request: FastifyRequest;
  reply: FastifyReply;
  loaded: LoadedInteraction;
  /** The CSRF token for a form on this answer (sets the cookie when the browser has none). */
  csrfToken: () => string;
}

/** What a step's handler is given: the interaction, the flow in an accepted state, the parsed form. */
export interface StepInput<S extends FlowStateName, F> extends PageInput {
  flow: FlowIn<S>;
  form: F;
}

/**
 * One hosted page of a sign-in (`/login/:uid…`), declared like an API route (`api-route.ts`):
 * the helper loads the interaction (its cookie must match :uid), insists on the prompt and the
 * flow state, checks CSRF and Origin on a POST, parses the form, then calls `handle`.
 */
export interface PageStepRoute<S extends FlowStateName, F> {
  method: 'GET' | 'POST';
  /** Under `/login/:uid`, e.g. `/mfa`; `''` is `/login/:uid` itself. */
  path: string;
  /**
   * `login` (the default; `create` counts): sign-in steps make no sense at another prompt.
   * `consent`: the consent screen's own posts (400 `wrong_step` elsewhere). `any`: any prompt.
   */
  prompt?: 'login' | 'consent' | 'any';
  /**
   * The flow states this step takes, and what a browser in any other state (or none) gets: a
   * string is the message of a 400 `wrong_step`; a function answers instead (a redirect, or the
   * step's first page). Read before the CSRF check, so a wrong step is told first.
   */
  accepts?: { states: readonly S[]; otherwise: string | ((input: PageInput) => Promise<unknown>) };
  /** A POST's form, parsed after the CSRF check. */
  form?: z.ZodType<F>;
  /**
   * How a refused post is answered (a page drawn again, say); by default `csrf` 403 or
   * `invalid_form` 400 is thrown. `form` is also given zod's reasons (to name the field at fault).
   */
  refuse?: {
    csrf?: (input: Omit<StepInput<S, F>, 'form'>) => Promise<unknown>;
    form?: (input: Omit<StepInput<S, F>, 'form'>, error: z.ZodError) => Promise<unknown>;
  };
  handle: (input: StepInput<S, F>) => Promise<unknown>;
}

export class PageSteps {
  readonly #interactions: InteractionContext;
  readonly #flows: InteractionFlowStore;
  readonly #csrf: CsrfGuard;

  constructor(deps: { interactions: InteractionContext; flows: InteractionFlowStore; csrf: CsrfGuard }) {
    this.#interactions = deps.interactions;
    this.#flows = deps.flows;
    this.#csrf = deps.csrf;
  }

  mount<S extends FlowStateName = never, F = undefined>(app: FastifyInstance, route: PageStepRoute<S, F>): void {
    app.route({ method: route.method, url: `/login/:uid${route.path}`, handler: (request, reply) => this.#serve(route, request, reply) });
  }

  async #serve<S extends FlowStateName, F>(route: PageStepRoute<S, F>, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const loaded = await this.#load(route.prompt ?? 'login', request, reply);
    const page: PageInput = { request, reply, loaded, csrfToken: () => this.#csrf.token(request, reply) };
    let flow: FlowIn<S> = undefined as never;
    if (route.accepts) {
      const found = await this.#flowIn(loaded.uid, route.accepts.states);
      if (!found) return otherwise(route.accepts.otherwise, page);
      flow = found;
    }
    const input = { ...page, flow };
    if (route.method === 'POST' && !this.#csrf.verify(request, formValue(request.body, 'csrf'))) return (route.refuse?.csrf ?? refusal.csrf)(input);
    let form = undefined as F;
    if (route.form) {
      const parsed = route.form.safeParse(request.body);
      if (!parsed.success) return (route.refuse?.form ?? refusal.form)(input, parsed.error);
      form = parsed.data;
    }
    return route.handle({ ...input, form });
  }

  async #load(prompt: 'login' | 'consent' | 'any', request: FastifyRequest, reply: FastifyReply): Promise<LoadedInteraction> {
    if (prompt === 'login') return this.#interactions.loadLogin(request, reply);
    const loaded = await this.#interactions.load(request, reply);
    if (prompt === 'consent') requirePrompt(loaded.details, 'consent');
    return loaded;
  }

  async #flowIn<S extends FlowStateName>(uid: string, states: readonly S[]): Promise<FlowIn<S> | undefined> {
    const flow = await this.#flows.get(uid);
    return flow && (states as readonly string[]).includes(flow.state) ? (flow as FlowIn<S>) : undefined;
  }
}

/** A step's page drawn with a status and a message (the page's own errors). */
type Draw<I extends PageInput> = (input: I, status: number, error: string) => Promise<unknown>;

/**
 * The refusals of a step whose page shows its own errors (`refuse: drawnAgain(page, …)`): the page
 * drawn again with `error.csrf` (403), or with `unreadable` for a form that cannot be read (400).
 */
export function drawnAgain<I extends PageInput>(draw: Draw<I>, unreadable: MessageKey) {
  return {
    csrf: async (input: I) => draw(input, 403, input.loaded.page.t('error.csrf')),
    form: async (input: I) => draw(input, 400, input.loaded.page.t(unreadable)),
  };
}

/** A step where a code is typed in (`...typedCode(page)`): `codeForm`, refused as the page drawn again (`error.invalid_code`). */
export function typedCode<I extends PageInput>(draw: Draw<I>) {
  return { form: codeForm, refuse: drawnAgain(draw, 'error.invalid_code') };
}

/**
 * In a step's `catch`: a refusal the person can act on (a DomainError under 500: a wrong code, too
 * many tries …) drawn on the step's page as `error.<code>`; anything else is thrown on. `seen` is
 * shown the refusal first (to count it, say) and gives the message's parameters; by default the
 * seconds to wait (Retry-After is set when throttled).
 */
export function drawRefusal<I extends PageInput>(draw: Draw<I>, input: I, error: unknown, seen?: (refusal: DomainError) => Record<string, string | number>): Promise<unknown> {
  if (!(error instanceof DomainError) || error.status >= 500) throw error;
  const params = seen ? seen(error) : { seconds: retryAfter(input.reply, error) };
  return draw(input, error.status, input.loaded.page.t(`error.${error.code}` as MessageKey, params));
}

/** A refusal answered with this error (`refuse: { form: refusedAs('invalid_form', 400, '…') }`): the step's own code and message. */
export function refusedAs(code: string, status: number, message: string): () => Promise<never> {
  return async () => {
    throw new DomainError(code, status, message);
  };
}

/** A browser in a state the step does not take: told 400 `wrong_step`, or answered as the step says. */
function otherwise(answer: string | ((input: PageInput) => Promise<unknown>), input: PageInput): Promise<unknown> {
  if (typeof answer === 'string') throw new DomainError('wrong_step', 400, answer);
  return answer(input);
}

const refusal = {
  csrf: refusedAs('csrf', 403, 'The form had expired'),
  form: refusedAs('invalid_form', 400, 'The form could not be read'),
};
