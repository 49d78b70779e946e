import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type InteractionResults } from 'oidc-provider';
import { DomainError } from '../errors/domain-error.ts';
import { parseInput } from '../validation/parse-input.ts';
import { pageContextFor, seeOther } from './page-reply.ts';
import type { PurposeScope } from '../consent/consent-ledger.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { clientBrand, requestedPurposes } from '../oidc/purpose-requests.ts';
import type { PageContext } from '../pages/layout.ts';
import { uidParams } from '../flows/interaction.forms.ts';

export type InteractionDetails = Awaited<ReturnType<ProviderHost['current']['interactionDetails']>>;

export interface LoadedInteraction {
  uid: string;
  details: InteractionDetails;
  page: PageContext;
  clientName: string;
  /** The brand the client belongs to; null for the group. */
  brand: string | null;
}

/**
 * The oidc-provider side of every hosted step: find the interaction this browser is in (its
 * cookie must match the uid in the path), and hand a result back to the provider.
 */
export class InteractionContext {
  readonly #host: ProviderHost;
  readonly #brandOf: (key: string | null) => Promise<PageContext['brand']>;

  /** `brandOf`: the look of a brand's pages (name, colours, logo), or undefined for the group. */
  constructor(host: ProviderHost, brandOf: (key: string | null) => Promise<PageContext['brand']> = async () => undefined) {
    this.#host = host;
    this.#brandOf = brandOf;
  }

  async load(request: FastifyRequest, reply: FastifyReply): Promise<LoadedInteraction> {
    // The interaction is named by :uid; a step's other path parameters are its own to check.
    const { uid } = parseInput(uidParams, { uid: (request.params as { uid?: unknown }).uid }, 'params');
    const details = await this.#host.current.interactionDetails(request.raw, reply.raw);
    if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
    return this.#loaded(request, uid, details);
  }

  async #loaded(request: FastifyRequest, uid: string, details: InteractionDetails): Promise<LoadedInteraction> {
    const page = pageContextFor(request, details.params.ui_locales);
    const client = await this.#host.current.Client.find(String(details.params.client_id));
    const clientName = client?.clientName ?? String(details.params.client_id);
    const brand = clientBrand(client);
    return { uid, details, page: { ...page, brand: await this.#brandOf(brand) }, clientName, brand };
  }

  /** Loads and insists the provider is at the login prompt, or `create` (registration asked for): sign-in steps make no sense elsewhere. */
  async loadLogin(request: FastifyRequest, reply: FastifyReply): Promise<LoadedInteraction> {
    const loaded = await this.load(request, reply);
    if (loaded.details.prompt.name !== 'create') requirePrompt(loaded.details, 'login');
    return loaded;
  }

  /**
   * Hands the result to oidc-provider and redirects the browser back to it. A consent result is
   * merged with the login result of the same interaction: without it, a request with
   * `prompt=login` would find the login prompt pending again and loop.
   */
  async finish(request: FastifyRequest, reply: FastifyReply, result: InteractionResults) {
    const merge = result.login === undefined;
    const redirectTo = await this.#host.current.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: merge });
    return seeOther(reply, redirectTo);
  }
}

/** The purposes this sign-in is about: the client's brand, and what it asked for in `purposes`. */
export function purposeScope(loaded: LoadedInteraction): PurposeScope {
  return { brand: loaded.brand, requested: requestedPurposes(loaded.details.params.purposes) };
}

export function requirePrompt(details: InteractionDetails, name: 'login' | 'consent'): void {
  if (details.prompt.name !== name) throw new DomainError('wrong_step', 400, `This sign-in is not at the ${name} step`);
}

/** A throttled step answers Retry-After; the seconds also go into the page's message. */
export function retryAfter(reply: FastifyReply, error: DomainError): number {
  const seconds = (error.details as { retry_after?: number } | undefined)?.retry_after ?? 0;
  if (error.status === 429 && seconds > 0) reply.header('retry-after', String(seconds));
  return seconds;
}

/** Reads a string field of a raw form body for re-display, whatever else is wrong with it. */
export function formValue(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, 254) : undefined;
}
