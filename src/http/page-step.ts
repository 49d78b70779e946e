import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { FlowState, FlowStateName, InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { CsrfGuard } from './csrf.ts';
import { formValue, type InteractionContext, type LoadedInteraction } from './interaction-context.ts';

type Refusal = 'csrf' | 'form';
type FlowIn<S extends FlowStateName> = Extract<FlowState, { state: S }>;

/** What a step's handler is given: the interaction, the flow in an accepted state, the parsed form. */
export interface StepInput<S extends FlowStateName, F> {
  request: FastifyRequest;
  reply: FastifyReply;
  loaded: LoadedInteraction;
  flow: FlowIn<S>;
  form: F;
  /** The CSRF token for a form on this answer (sets the cookie when the browser has none). */
  csrfToken: () => string;
}

/**
 * One hosted page of a sign-in (`/login/:uid…`), declared like an API route (`api-route.ts`):
 * the helper loads the interaction (its cookie must match :uid), insists on the prompt and the
 * flow state, checks CSRF and Origin on a POST, parses the form, then calls `handle`.
 */
export interface PageStepRoute<S extends FlowStateName, F> {
  method: 'GET' | 'POST';
  /** Under `/login/:uid`, e.g. `/mfa`. */
  path: string;
  /** `login` (the default; `create` counts): sign-in steps make no sense at another prompt. `any`: any prompt. */
  prompt?: 'login' | 'any';
  /** The flow states this step takes, and what a browser in any other state is told (400 `wrong_step`). */
  accepts?: { states: readonly S[]; otherwise: string };
  /** A POST's form, parsed after the CSRF check. */
  form?: z.ZodType<F>;
  /** How a refused post is answered (a page drawn again, say); by default `csrf` 403 or `invalid_form` 400 is thrown. */
  refuse?: Partial<Record<Refusal, (input: Omit<StepInput<S, F>, 'form'>) => Promise<unknown>>>;
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
    const loaded = route.prompt === 'any' ? await this.#interactions.load(request, reply) : await this.#interactions.loadLogin(request, reply);
    const flow = route.accepts ? await this.#flowIn(loaded.uid, route.accepts) : (undefined as never);
    const input = { request, reply, loaded, flow, csrfToken: () => this.#csrf.token(request, reply) };
    const refuse = (problem: Refusal) => (route.refuse?.[problem] ?? refusal[problem])(input);
    if (route.method === 'POST' && !this.#csrf.verify(request, formValue(request.body, 'csrf'))) return refuse('csrf');
    let form = undefined as F;
    if (route.form) {
      const parsed = route.form.safeParse(request.body);
      if (!parsed.success) return refuse('form');
      form = parsed.data;
    }
    return route.handle({ ...input, form });
  }

  async #flowIn<S extends FlowStateName>(uid: string, accepts: { states: readonly S[]; otherwise: string }): Promise<FlowIn<S>> {
    const flow = await this.#flows.get(uid);
    if (!flow || !(accepts.states as readonly string[]).includes(flow.state)) throw new DomainError('wrong_step', 400, accepts.otherwise);
    return flow as FlowIn<S>;
  }
}

const refusal: Record<Refusal, () => Promise<never>> = {
  csrf: async () => {
    throw new DomainError('csrf', 403, 'The form had expired');
  },
  form: async () => {
    throw new DomainError('invalid_form', 400, 'The form could not be read');
  },
};
