import type { InteractionResults } from 'oidc-provider';
import { customerActor, type AuditLog } from '../../events/audit-log.ts';
import { requestedMultiFactorAcr } from '../../oidc/authentication-context.ts';
import type { AuthMethod, FlowState, InteractionFlowStore } from '../../oidc/interaction-flows.ts';
import { PURPOSES_ASKED } from '../../oidc/purpose-requests.ts';
import { loginResult } from './login-result.ts';

/** A sign-in whose first factor is proven: who, how, and what the client asked for. */
export interface SignedIn {
  uid: string;
  customerId: string;
  /** Methods proven so far, as they go into `amr`. */
  amr: AuthMethod[];
  clientId: string;
  /** The client's brand; null for the group. */
  brand: string | null;
  /** The authorization request's parameters (acr_values, guest, scope, claims, purposes, prompt). */
  params: Record<string, unknown>;
  /** The way in just made this account (an e-mail code to a new address): a passkey is offered. */
  created?: boolean;
}

/** A step that asks the person something: when it is owed, the flow state that records it and the page (under `/login/:uid`) that asks. */
export interface PageStep {
  name: string;
  page: string;
  due(signedIn: SignedIn): Promise<FlowState | undefined>;
}

/** A step that asks nothing: it acts (links an identity, claims a guest) or refuses (a disabled account). */
export interface ActionStep {
  name: string;
  run(signedIn: SignedIn): Promise<void>;
}

export type AfterSignInStep = PageStep | ActionStep;

/** Where a sign-in goes next: a step's page, or back to oidc-provider with this result. */
export type NextStep = { page: string } | { result: InteractionResults };

/**
 * What a signed-in person may still owe before the sign-in completes, as one ordered list (see
 * `steps.ts`), in the manner of oidc-provider's login prompt and its checks. Every way in ends in
 * `next`; a step's page, once answered, calls `next` again with its own name, and the walk goes
 * on after it. Routes only draw pages and redirect.
 */
export class AfterSignIn {
  readonly #steps: readonly AfterSignInStep[];
  readonly #flows: InteractionFlowStore;
  readonly #audit: AuditLog;

  constructor(steps: readonly AfterSignInStep[], flows: InteractionFlowStore, audit: AuditLog) {
    const names = steps.map((step) => step.name);
    if (new Set(names).size !== names.length) throw new Error(`after-sign-in steps named twice: ${names.join(', ')}`);
    this.#steps = steps;
    this.#flows = flows;
    this.#audit = audit;
  }

  /** The names in order, for the reader and the tests. */
  get names(): string[] {
    return this.#steps.map((step) => step.name);
  }

  /** Walks the steps after `after` (from the first when absent): the first one owed is recorded and its page named; none owed gives the login result. */
  async next(signedIn: SignedIn, after?: string): Promise<NextStep> {
    const start = after === undefined ? 0 : this.#steps.findIndex((step) => step.name === after) + 1;
    if (start === 0 && after !== undefined) throw new Error(`no after-sign-in step named ${after}`);
    for (const step of this.#steps.slice(start)) {
      if ('run' in step) {
        await step.run(signedIn);
        continue;
      }
      const state = await step.due(signedIn);
      if (state) {
        await this.#flows.set(signedIn.uid, state);
        return { page: step.page };
      }
    }
    // A flow row left behind (code sent, reset done) dies with its interaction, which the login
    // result finishes; the cleanup timer deletes it. No write on the sign-in path for it.
    return { result: finalResult(signedIn) };
  }

  /** The sign-in was handed to oidc-provider: the audit log says who, how and where. */
  async succeeded(signedIn: SignedIn, result: InteractionResults): Promise<void> {
    await this.#audit.record({
      action: 'sign_in.succeeded',
      actor: customerActor(signedIn.customerId),
      subject: { type: 'customer', id: signedIn.customerId },
      details: { methods: result.login?.amr ?? [], acr: result.login?.acr ?? null, client_id: signedIn.clientId },
    });
  }
}

/** What the flow state of a step after the factors holds: the login as it will be handed over. */
export function held(signedIn: SignedIn): { customerId: string; amr: AuthMethod[]; acr: string | null } {
  const login = loginResult(signedIn.customerId, signedIn.amr, requestedMultiFactorAcr(signedIn.params.acr_values)).login!;
  return { customerId: signedIn.customerId, amr: (login.amr ?? []) as AuthMethod[], acr: login.acr ?? null };
}

/**
 * Everything due, the client's requested purposes included, was decided: the consent prompt need
 * not ask again. prompt=create (registration asked for) is answered by this sign-in or sign-up too.
 */
function finalResult(signedIn: SignedIn): InteractionResults {
  const result = loginResult(signedIn.customerId, signedIn.amr, requestedMultiFactorAcr(signedIn.params.acr_values));
  const created = String(signedIn.params.prompt ?? '').split(' ').includes('create') ? { create: true } : {};
  return { ...result, ...created, [PURPOSES_ASKED]: true };
}
