import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as oidc from 'openid-client';
import { DomainError, notFound } from '../errors/domain-error.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { FlowState, InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { Database } from '../store/schema.ts';
import type { Connections } from './connections.ts';
import { connectorFor, connectorView } from './connectors/registry.ts';
import type { UpstreamClients } from './upstream-clients.ts';
import { UpstreamError } from './upstream-error.ts';
import { sameText, upstreamFailure } from './upstream-sign-in.ts';

type Testing = Extract<FlowState, { state: 'connection_test' }>;

/** What a test found: who the upstream says signed in, or why it failed (in stable codes). */
export type ConnectionTestResult =
  | {
      outcome: 'passed';
      subject: string;
      email: string | null;
      email_verified: boolean;
      /** Whether a sign-up would take the address as proven (the connection trusts the provider, and it vouched). */
      email_trusted: boolean;
      given_name: string | null;
      family_name: string | null;
      /** Whether a customer here already signs in with this upstream identity. */
      linked: boolean;
    }
  | { outcome: 'failed'; reason: string; cause: string | null; detail: string };

/** The state of a test's authorization request: `ct.{test id}.{random}`; a sign-in's is `{uid}.{random}`, which never has two dots. */
const TEST_STATE = /^ct\.([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{20,100}$/;
const flowKey = (id: string) => `connection-test:${id}`;

/** The test a callback's `state` belongs to, if it is a test's. */
export function testIdFromState(state: unknown): string | undefined {
  return typeof state === 'string' ? TEST_STATE.exec(state)?.[1] : undefined;
}

/**
 * "Test this connection": a real sign-in at the upstream, through the connection's own client,
 * callback URL, secret and checks (PKCE, state, nonce, ID token signature, issuer, audience, the
 * kind's own rules), that signs nobody in and creates nothing here. The administrator signs in at
 * the provider; the answer comes back to the connection's registered callback, is held with the
 * test, and only the operator who started it reads what it found, once. It works on a connection
 * that is not enabled yet, so one can be tried before customers see it.
 */
export class ConnectionTests {
  readonly #db: Kysely<Database>;
  readonly #connections: Connections;
  readonly #clients: UpstreamClients;
  readonly #flows: InteractionFlowStore;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; connections: Connections; clients: UpstreamClients; flows: InteractionFlowStore; audit: AuditLog }) {
    this.#db = deps.db;
    this.#connections = deps.connections;
    this.#clients = deps.clients;
    this.#flows = deps.flows;
    this.#audit = deps.audit;
  }

  /** The provider is found and checked first (discovery: `issuer_unreachable` with its cause); then where to send the browser. */
  async start(key: string, operator: string, locale: 'sv' | 'en'): Promise<{ id: string; authorizationUrl: string; redirectUri: string }> {
    const candidate = await this.#connections.withSecretForTest(key);
    const config = await this.#clients.build(candidate);
    const { connection } = candidate;
    const preset = connectorFor(connection.kind).preset;
    const id = randomBytes(16).toString('base64url');
    const verifier = oidc.randomPKCECodeVerifier();
    const returnState = `ct.${id}.${oidc.randomState()}`;
    const nonce = oidc.randomNonce();
    await this.#flows.set(flowKey(id), { state: 'connection_test', connection: key, operator, locale, verifier, returnState, nonce });
    const redirectUri = this.#connections.redirectUriFor(key);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: connection.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: returnState,
      ...(preset.protocol === 'oidc' ? { nonce, ui_locales: locale } : {}),
      ...(preset.formPost ? { response_mode: 'form_post' } : {}),
    });
    return { id, authorizationUrl: url.toString(), redirectUri };
  }

  /** The upstream's answer at the connection's callback: held with its test (state checked, once), for the console to read. */
  async hold(id: string, key: string, answer: Record<string, string>): Promise<{ locale: 'sv' | 'en' }> {
    const flow = await this.#testing(id);
    const matches = flow && !flow.answer && flow.connection === key && sameText(answer.state ?? '', flow.returnState);
    if (!matches || !(await this.#flows.advance(flowKey(id), 'connection_test', { ...flow, answer }))) {
      throw new DomainError('upstream_replayed', 400, 'This answer from the provider was used already, or belongs to no test here');
    }
    return { locale: flow.locale };
  }

  /** What the test found, to the operator who started it, once: the code is exchanged and checked as a sign-in would. */
  async result(id: string, key: string, operator: string): Promise<ConnectionTestResult> {
    const flow = await this.#testing(id);
    if (!flow || flow.connection !== key || flow.operator !== operator) throw notFound('connection test');
    const { answer } = flow;
    if (!answer) throw new DomainError('test_unanswered', 409, 'The provider has not answered this test yet');
    if (!(await this.#flows.advance(flowKey(id), 'connection_test', null))) throw notFound('connection test');
    const result = await this.#read(key, { ...flow, answer }).catch((error: unknown) => failed(error, key));
    await this.#audit.record({ action: 'connection.tested', actor: { type: 'operator', id: operator }, subject: { type: 'connection', id: key }, details: result.outcome === 'passed' ? { outcome: 'passed' } : { outcome: 'failed', reason: result.reason, ...(result.cause ? { cause: result.cause } : {}) } });
    return result;
  }

  async #read(key: string, flow: Testing & { answer: Record<string, string> }): Promise<ConnectionTestResult> {
    const candidate = await this.#connections.withSecretForTest(key);
    const config = await this.#clients.build(candidate);
    const { connection, secret } = candidate;
    const callbackUrl = new URL(this.#connections.redirectUriFor(key));
    callbackUrl.search = new URLSearchParams(flow.answer).toString();
    const checks = { verifier: flow.verifier, returnState: flow.returnState, nonce: flow.nonce };
    const profile = await connectorFor(connection.kind).readProfile({ connection: connectorView(connection), config, secret, callbackUrl, checks });
    const linked = await this.#db.selectFrom('identities').select('customer_id').where('connection', '=', key).where('subject', '=', profile.subject).executeTakeFirst();
    const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 200) : null);
    return {
      outcome: 'passed',
      subject: profile.subject,
      email: text(profile.email),
      email_verified: profile.emailVerified,
      email_trusted: connection.trustEmailVerified && profile.emailVerified,
      given_name: text(profile.givenName),
      family_name: text(profile.familyName),
      linked: linked !== undefined,
    };
  }

  async #testing(id: string): Promise<Testing | undefined> {
    const flow = await this.#flows.get(flowKey(id));
    return flow?.state === 'connection_test' ? flow : undefined;
  }
}

/** A failed test in the codes the hosted sign-in uses: `denied`, `unavailable` (with the cause), `invalid`, `tenant`. */
function failed(error: unknown, key: string): ConnectionTestResult {
  if (error instanceof DomainError && error.code === 'issuer_unreachable') {
    return { outcome: 'failed', reason: 'unavailable', cause: (error.details as { cause?: string } | undefined)?.cause ?? null, detail: error.message };
  }
  if (error instanceof DomainError) return { outcome: 'failed', reason: 'invalid', cause: error.code, detail: error.message };
  const upstream = error instanceof UpstreamError ? error : upstreamFailure(error, key);
  return { outcome: 'failed', reason: upstream.reason, cause: upstream.why ?? null, detail: upstream.message };
}
