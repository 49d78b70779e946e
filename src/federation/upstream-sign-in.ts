import type { Kysely } from 'kysely';
import * as oidc from 'openid-client';
import { timingSafeEqual } from 'node:crypto';
import { emailSchema, localeSchema } from '../customers/customer.schemas.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError, notFound } from '../errors/domain-error.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { FlowState, InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { Database } from '../store/schema.ts';
import { nameText } from '../validation/text.ts';
import { offers, type Connections } from './connections.ts';
import type { UpstreamProfile } from './connectors/connector.ts';
import { connectorFor, connectorView } from './connectors/registry.ts';
import type { IdentityLinks } from './identity-links.ts';
import type { UpstreamClient, UpstreamClients } from './upstream-clients.ts';
import { UpstreamError } from './upstream-error.ts';
import { UNREACHABLE, upstreamFailureCause } from './upstream-failure-cause.ts';

export { UpstreamError, type UpstreamFailure } from './upstream-error.ts';

export type UpstreamOutcome =
  | { kind: 'signed_in'; customerId: string }
  /** Someone new with an address the upstream vouches for: confirm the prefilled details. */
  | { kind: 'confirm' }
  /** The identity waits until the customer proves the address (or the account that has it) another way. */
  | { kind: 'prove'; email: string };

type Confirming = Extract<FlowState, { state: 'upstream_confirm' }>;

/**
 * Sign-in through an upstream provider, with openid-client: authorization code with PKCE, state
 * and (OpenID) nonce, all kept in the interaction's flow row and used once. The answer is checked
 * by openid-client (issuer, audience, signature, nonce, state). The identity is the pair
 * (connection, upstream subject), never the e-mail:
 * - a known pair signs its customer in;
 * - a new one with an address the upstream vouches for (at a connection trusted to) and nobody
 *   has becomes a customer once they confirm the prefilled details;
 * - anything else (the address has an account, or nobody vouches for it) waits until the customer
 *   proves the address or the account another way in the same sign-in, then is linked.
 */
export class UpstreamSignIn {
  readonly #db: Kysely<Database>;
  readonly #connections: Connections;
  readonly #clients: UpstreamClients;
  readonly #links: IdentityLinks;
  readonly #customers: Customers;
  readonly #flows: InteractionFlowStore;
  readonly #audit: AuditLog;
  readonly #pool: string;

  constructor(deps: { db: Kysely<Database>; connections: Connections; clients: UpstreamClients; links: IdentityLinks; customers: Customers; flows: InteractionFlowStore; audit: AuditLog; pool: string }) {
    this.#db = deps.db;
    this.#connections = deps.connections;
    this.#clients = deps.clients;
    this.#links = deps.links;
    this.#customers = deps.customers;
    this.#flows = deps.flows;
    this.#audit = deps.audit;
    this.#pool = deps.pool;
  }

  /** Where to send the browser: the upstream's authorization endpoint, with this sign-in's checks stored. */
  async start(uid: string, key: string, locale: string, at: { clientId: string; brand: string | null }): Promise<string> {
    // A connection that is not offered at this client is as unknown as one that does not exist.
    if (!offers(await this.#connections.get(key), at.clientId, at.brand)) throw notFound('connection');
    const { connection, config } = await this.#client(key, 'start');
    const preset = connectorFor(connection.kind).preset;
    const verifier = oidc.randomPKCECodeVerifier();
    // The state carries the interaction's uid: the fixed callback URL sends the browser on to
    // /login/{uid}/…, where the interaction cookie applies. The random part is what is checked.
    const returnState = `${uid}.${oidc.randomState()}`;
    const nonce = oidc.randomNonce();
    await this.#flows.set(uid, { state: 'upstream_sent', connection: key, verifier, returnState, nonce });
    return oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: this.#connections.redirectUriFor(key),
        scope: connection.scopes,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: returnState,
        ...(preset.protocol === 'oidc' ? { nonce, ui_locales: locale } : {}),
        ...(preset.formPost ? { response_mode: 'form_post' } : {}),
      })
      .toString();
  }

  /**
   * A posted answer (form_post) is held in the sign-in's flow row until the browser comes back
   * with its cookie: the code and the profile never travel in a URL. Only an answer whose state
   * matches, at the connection the sign-in went to, is held.
   */
  async hold(uid: string, key: string, answer: Record<string, string>): Promise<void> {
    const flow = await this.#flows.get(uid);
    const matches = flow?.state === 'upstream_sent' && !flow.answer && flow.connection === key && sameText(answer.state ?? '', flow.returnState);
    if (!matches || !(await this.#flows.advance(uid, 'upstream_sent', { ...flow, answer }))) {
      throw new DomainError('upstream_replayed', 400, 'This answer from the provider was used already, or belongs to no sign-in here');
    }
  }

  /** The upstream's answer at connection `key`'s callback URL (or held from a post). The stored checks are used up first, so a replay finds none. */
  async finish(uid: string, key: string, query: URLSearchParams): Promise<UpstreamOutcome> {
    const flow = await this.#flows.get(uid);
    const params = flow?.state === 'upstream_sent' && flow.answer ? new URLSearchParams(flow.answer) : query;
    // The state is compared before the checks are used up: a forged callback cannot cancel a sign-in in progress.
    if (flow?.state !== 'upstream_sent' || !sameText(params.get('state') ?? '', flow.returnState) || !(await this.#flows.advance(uid, 'upstream_sent', null))) {
      throw new DomainError('upstream_replayed', 400, 'This answer from the provider was used already, or belongs to no sign-in here');
    }
    // An answer at another provider's callback URL than the one this sign-in went to: a mix-up.
    if (flow.connection !== key) throw new UpstreamError('invalid', flow.connection, `the answer came back for another connection (${key})`);
    const callbackUrl = new URL(this.#connections.redirectUriFor(key));
    callbackUrl.search = params.toString();
    const client = await this.#client(key, 'finish');
    const { connection } = client;
    const profile = await this.#profile(client, callbackUrl, flow).catch((error: unknown) => {
      throw error instanceof UpstreamError ? error : upstreamFailure(error, key);
    });
    const identity = await this.#db.selectFrom('identities').select('customer_id').where('connection', '=', key).where('subject', '=', profile.subject).executeTakeFirst();
    if (identity) {
      await this.#links.used(key, profile.subject, Date.now());
      return { kind: 'signed_in', customerId: identity.customer_id };
    }
    const parsedEmail = emailSchema.safeParse(typeof profile.email === 'string' ? profile.email.trim() : undefined);
    if (!parsedEmail.success) throw new UpstreamError('no_email', key, 'the provider shared no usable e-mail address');
    const email = parsedEmail.data;
    const givenName = name(profile.givenName);
    const familyName = name(profile.familyName);
    // Only an address the upstream vouches for, at a connection trusted to check addresses, makes
    // an account here without more. Anything else, and any address that has an account, waits
    // for a proof: otherwise anyone could take someone's address through a lax provider, and an
    // "account exists" answer would tell them who has one. The proof page reads the same either way.
    const vouched = connection.trustEmailVerified && profile.emailVerified;
    if (!vouched || (await this.#customers.findByEmail(email, this.#pool))) {
      await this.#links.offer(uid, { connection: key, subject: profile.subject, email, vouched, givenName, familyName });
      return { kind: 'prove', email };
    }
    const locale = localeSchema.safeParse(profile.locale);
    await this.#flows.set(uid, {
      state: 'upstream_confirm',
      connection: key,
      subject: profile.subject,
      email,
      emailVerified: true,
      givenName,
      familyName,
      locale: locale.success && locale.data.length <= 35 ? locale.data : null,
    });
    return { kind: 'confirm' };
  }

  confirming(uid: string): Promise<Confirming | undefined> {
    return this.#flows.get(uid).then((flow) => (flow?.state === 'upstream_confirm' ? flow : undefined));
  }

  /** The customer confirmed: the customer and their identity are created together, once. */
  async confirm(uid: string, names: { given_name?: string | undefined; family_name?: string | undefined }): Promise<string> {
    const flow = await this.confirming(uid);
    if (!flow || !(await this.#flows.advance(uid, 'upstream_confirm', null))) throw new DomainError('wrong_step', 400, 'This sign-up was completed already');
    // A connection disabled meanwhile (compromised, say) creates nobody.
    if (!(await this.#connections.get(flow.connection).catch(() => undefined))?.enabled) throw new UpstreamError('unavailable', flow.connection, 'the connection was disabled');
    const now = Date.now();
    const customer = await this.#customers.insertNew(
      {
        email: flow.email,
        email_verified: flow.emailVerified,
        ...(names.given_name ? { given_name: names.given_name } : {}),
        ...(names.family_name ? { family_name: names.family_name } : {}),
        ...(flow.locale ? { locale: flow.locale } : {}),
      },
      null,
      { type: 'customer', id: null },
      this.#pool,
      now,
      async (trx, record) => {
        await this.#links.linkNew(trx, { connection: flow.connection, subject: flow.subject, customerId: record.id }, now);
        await this.#audit.append(trx, { action: 'identity.linked', actor: { type: 'customer', id: record.id }, subject: { type: 'customer', id: record.id }, details: { connection: flow.connection, at_sign_up: true } }, now);
      },
    );
    return customer.id;
  }

  /** At the start an unknown or disabled connection is a 404; at the finish (it went meanwhile) the upstream is unavailable. */
  async #client(key: string, step: 'start' | 'finish'): Promise<UpstreamClient> {
    return this.#clients.forKey(key).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'issuer_unreachable') throw new UpstreamError('unavailable', key, error.message, (error.details as { cause?: string } | undefined)?.cause);
      if (step === 'finish' && error instanceof DomainError) throw new UpstreamError('unavailable', key, 'the connection is gone or disabled');
      throw error;
    });
  }

  /** The code exchanged and checked, and who the upstream says signed in: as its connector reads it. */
  async #profile({ connection, config, secret }: UpstreamClient, callbackUrl: URL, flow: Extract<FlowState, { state: 'upstream_sent' }>): Promise<UpstreamProfile> {
    const checks = { verifier: flow.verifier, returnState: flow.returnState, nonce: flow.nonce };
    return connectorFor(connection.kind).readProfile({ connection: connectorView(connection), config, secret, callbackUrl, checks });
  }
}

/** A name the upstream gave, kept when it is one a customer could type here (no bidi controls, no lone surrogates). */
const upstreamName = nameText().trim().min(1).max(100);
function name(value: unknown): string | null {
  const parsed = upstreamName.safeParse(typeof value === 'string' ? value.trim().slice(0, 100) : undefined);
  return parsed.success ? parsed.data : null;
}

/** openid-client's refusals, sorted into what the customer is told. */
export function upstreamFailure(error: unknown, key: string): UpstreamError {
  if (error instanceof oidc.AuthorizationResponseError) {
    // The error code comes from the callback's query: only a well-formed one goes into the audit log.
    const code = /^[a-z_]{1,64}$/.test(error.error) ? error.error : 'other';
    return new UpstreamError(error.error === 'access_denied' ? 'denied' : 'invalid', key, `the provider answered ${code}`);
  }
  const failure = upstreamFailureCause(error);
  if (UNREACHABLE.has(failure.cause)) return new UpstreamError('unavailable', key, `the provider could not be reached: ${failure.description}`, failure.cause);
  return new UpstreamError('invalid', key, `the provider's answer was refused: ${failure.description}`, failure.cause);
}

/** The interaction a callback belongs to, from its `state`. */
export function uidFromState(state: unknown): string | undefined {
  const match = typeof state === 'string' ? /^([A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_-]{20,100}$/.exec(state) : null;
  return match?.[1];
}

export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
