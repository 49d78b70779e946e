import type { Kysely } from 'kysely';
import * as oidc from 'openid-client';
import { timingSafeEqual } from 'node:crypto';
import { emailSchema, localeSchema } from '../customers/customer.schemas.ts';
import type { CustomerService } from '../customers/customer.service.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { FlowState, InteractionFlowStore } from '../flows/interaction-flow.store.ts';
import type { Database } from '../store/schema.ts';
import type { Connections } from './connections.ts';

export type UpstreamFailure = 'denied' | 'unavailable' | 'invalid' | 'no_email' | 'unverified_email';

/** Why an upstream sign-in stopped; the page says it in words, the audit log keeps the code. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly reason: UpstreamFailure;
  readonly connection: string;
  constructor(reason: UpstreamFailure, connection: string, detail: string) {
    super(detail);
    this.reason = reason;
    this.connection = connection;
  }
}

export type UpstreamOutcome =
  | { kind: 'signed_in'; customerId: string }
  | { kind: 'confirm' }
  | { kind: 'account_exists'; email: string };

type Confirming = Extract<FlowState, { state: 'upstream_confirm' }>;

/**
 * Sign-in through an upstream OpenID provider, with openid-client: authorization code with PKCE,
 * state and nonce, all kept in the interaction's flow row and used once. The answer is checked by
 * openid-client (issuer, audience, signature, nonce, state). The identity is the pair (connection,
 * upstream subject), never the e-mail: a known pair signs its customer in; a new one with a
 * vouched-for address nobody has becomes a customer once they confirm the prefilled details; a new
 * one whose address belongs to a customer is never joined to it here.
 */
export class UpstreamSignIn {
  readonly #db: Kysely<Database>;
  readonly #connections: Connections;
  readonly #customers: CustomerService;
  readonly #flows: InteractionFlowStore;
  readonly #audit: AuditLog;
  readonly #pool: string;

  constructor(deps: { db: Kysely<Database>; connections: Connections; customers: CustomerService; flows: InteractionFlowStore; audit: AuditLog; pool: string }) {
    this.#db = deps.db;
    this.#connections = deps.connections;
    this.#customers = deps.customers;
    this.#flows = deps.flows;
    this.#audit = deps.audit;
    this.#pool = deps.pool;
  }

  /** Where to send the browser: the upstream's authorization endpoint, with this sign-in's checks stored. */
  async start(uid: string, key: string, locale: string): Promise<string> {
    const { connection, config } = await this.#connections.clientConfig(key).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'issuer_unreachable') throw new UpstreamError('unavailable', key, error.message);
      throw error;
    });
    const verifier = oidc.randomPKCECodeVerifier();
    // The state carries the interaction's uid: the fixed callback URL sends the browser on to
    // /login/{uid}/…, where the interaction cookie applies. The random part is what is checked.
    const returnState = `${uid}.${oidc.randomState()}`;
    const nonce = oidc.randomNonce();
    await this.#flows.set(uid, { state: 'upstream_sent', connection: key, verifier, returnState, nonce });
    return oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: this.#connections.redirectUri,
        scope: connection.scopes,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: returnState,
        nonce,
        ui_locales: locale,
      })
      .toString();
  }

  /** The upstream's answer at the callback URL. The stored checks are used up first, so a replay finds none. */
  async finish(uid: string, callbackUrl: URL): Promise<UpstreamOutcome> {
    const flow = await this.#flows.get(uid);
    // The state is compared before the checks are used up: a forged callback cannot cancel a sign-in in progress.
    if (flow?.state !== 'upstream_sent' || !sameText(callbackUrl.searchParams.get('state') ?? '', flow.returnState) || !(await this.#flows.advance(uid, 'upstream_sent', null))) {
      throw new DomainError('upstream_replayed', 400, 'This answer from the provider was used already, or belongs to no sign-in here');
    }
    const key = flow.connection;
    const { connection, config } = await this.#connections.clientConfig(key).catch(() => {
      throw new UpstreamError('unavailable', key, 'the connection is gone or disabled');
    });
    let claims: oidc.IDToken;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: flow.verifier, expectedState: flow.returnState, expectedNonce: flow.nonce, idTokenExpected: true });
      claims = tokens.claims()!;
    } catch (error) {
      throw upstreamFailure(error, key);
    }
    const subject = String(claims.sub);
    const identity = await this.#db.selectFrom('identities').select('customer_id').where('connection', '=', key).where('subject', '=', subject).executeTakeFirst();
    if (identity) {
      await this.#db.updateTable('identities').set({ last_used_at: Date.now() }).where('connection', '=', key).where('subject', '=', subject).execute();
      return { kind: 'signed_in', customerId: identity.customer_id };
    }
    const parsedEmail = emailSchema.safeParse(typeof claims.email === 'string' ? claims.email.trim() : undefined);
    if (!parsedEmail.success) throw new UpstreamError('no_email', key, 'the provider shared no usable e-mail address');
    const email = parsedEmail.data;
    // Only an address the upstream vouches for, at a connection trusted to check addresses, makes
    // an account here. Otherwise anyone could claim someone else's address through a lax provider
    // and wait for its owner; and an "account exists" answer would tell them who has one.
    if (!connection.trustEmailVerified || claims.email_verified !== true) throw new UpstreamError('unverified_email', key, 'the provider did not vouch for the address');
    if (await this.#customers.findByEmail(email, this.#pool)) return { kind: 'account_exists', email };
    const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 100) : null);
    const locale = localeSchema.safeParse(claims.locale);
    await this.#flows.set(uid, {
      state: 'upstream_confirm',
      connection: key,
      subject,
      email,
      emailVerified: true,
      givenName: text(claims.given_name),
      familyName: text(claims.family_name),
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
        await trx.insertInto('identities').values({ connection: flow.connection, subject: flow.subject, customer_id: record.id, created_at: now, last_used_at: now }).execute();
        await this.#audit.append(trx, { action: 'identity.linked', actor: { type: 'customer', id: record.id }, subject: { type: 'customer', id: record.id }, details: { connection: flow.connection, at_sign_up: true } }, now);
      },
    );
    return customer.id;
  }
}

/** openid-client's refusals, sorted into what the customer is told. */
function upstreamFailure(error: unknown, key: string): UpstreamError {
  if (error instanceof oidc.AuthorizationResponseError) {
    // The error code comes from the callback's query: only a well-formed one goes into the audit log.
    const code = /^[a-z_]{1,64}$/.test(error.error) ? error.error : 'other';
    return new UpstreamError(error.error === 'access_denied' ? 'denied' : 'invalid', key, `the provider answered ${code}`);
  }
  const cause = (error as { cause?: { code?: string; name?: string } }).cause;
  const name = (error as { name?: string }).name ?? '';
  const code = (error as { code?: string }).code ?? '';
  if (name === 'TimeoutError' || name === 'AbortError' || cause?.name === 'TimeoutError' || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|fetch failed/i.test(String((error as Error).message)) || cause?.code === 'ECONNREFUSED') {
    return new UpstreamError('unavailable', key, 'the provider could not be reached');
  }
  return new UpstreamError('invalid', key, `the provider's answer was refused (${code || name || 'unknown'})`);
}

/** The interaction a callback belongs to, from its `state`. */
export function uidFromState(state: unknown): string | undefined {
  const match = typeof state === 'string' ? /^([A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_-]{20,100}$/.exec(state) : null;
  return match?.[1];
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
