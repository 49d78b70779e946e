import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AfterSignIn, SignedIn } from '../flows/after-sign-in/after-sign-in.ts';
import type { AuthMethod } from '../oidc/interaction-flows.ts';
import type { InteractionContext, LoadedInteraction } from './interaction-context.ts';
import { seeOther } from './page-reply.ts';

/** What a way in proved: who, by which methods, and whether it just made the account. */
export interface Proof {
  customerId: string;
  amr: AuthMethod[];
  created?: boolean;
}

/**
 * The HTTP side of `AfterSignIn`: every way in, and every step page once answered, ends here. The
 * next step owed is a redirect to its page; none owed hands the login to oidc-provider.
 */
export class SignInContinuation {
  readonly #interactions: InteractionContext;
  readonly #afterSignIn: AfterSignIn;

  constructor(interactions: InteractionContext, afterSignIn: AfterSignIn) {
    this.#interactions = interactions;
    this.#afterSignIn = afterSignIn;
  }

  /** Goes on with the steps after `after` (all of them when absent). */
  async continue(request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, proof: Proof, after?: string) {
    const signedIn = signedInAt(loaded, proof);
    const next = await this.#afterSignIn.next(signedIn, after);
    if ('page' in next) return seeOther(reply, `/login/${loaded.uid}${next.page}`);
    const answer = await this.#interactions.finish(request, reply, next.result);
    await this.#afterSignIn.succeeded(signedIn, next.result);
    return answer;
  }
}

function signedInAt(loaded: LoadedInteraction, proof: Proof): SignedIn {
  return { uid: loaded.uid, clientId: String(loaded.details.params.client_id), brand: loaded.brand, params: loaded.details.params, ...proof };
}
