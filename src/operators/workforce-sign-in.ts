import * as oidc from 'openid-client';
import type { Kysely } from 'kysely';
import type { WorkforceSettings } from '../config/load-config.ts';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { OutboundFetch } from '../outbound/outbound-guard.ts';
import type { Database } from '../store/schema.ts';
import type { ConsoleRole, OperatorAccount, OperatorAccounts } from './operator-accounts.ts';
import type { OperatorSignIn } from './operator-sign-in.ts';

/** How long the round trip to the workforce provider may take. */
const TICKET_TTL_MS = 10 * 60_000;

interface Ticket {
  state: string;
  nonce: string;
  verifier: string;
  back: string;
  exp: number;
}

const refused = (message: string) => new DomainError('workforce_refused', 403, message);

/**
 * Console sign-in through the company's workforce OpenID provider (Microsoft Entra ID, Okta, …),
 * with openid-client: authorization code with PKCE, state and nonce, the ID token's signature
 * checked against the provider's keys. The provider vouches for the person and their second
 * factor, so none is asked here; the groups claim gives the roles at every sign-in
 * (`CONSOLE_OIDC_GROUP_ROLES`), and a person in no mapped group is refused.
 */
export class WorkforceSignIn {
  readonly settings: WorkforceSettings;
  readonly #db: Kysely<Database>;
  readonly #accounts: OperatorAccounts;
  readonly #signIn: OperatorSignIn;
  readonly #audit: AuditLog;
  readonly #fetch: OutboundFetch;
  readonly #key: SealingKeys;
  readonly #redirectUri: string;
  readonly #timeoutSeconds: number;
  #config: Promise<oidc.Configuration> | undefined;

  constructor(deps: { settings: WorkforceSettings; db: Kysely<Database>; accounts: OperatorAccounts; signIn: OperatorSignIn; audit: AuditLog; fetch: OutboundFetch; key: SealingKeys; issuer: string; timeoutMs: number }) {
    this.settings = deps.settings;
    this.#db = deps.db;
    this.#accounts = deps.accounts;
    this.#signIn = deps.signIn;
    this.#audit = deps.audit;
    this.#fetch = deps.fetch;
    this.#key = deps.key;
    this.#redirectUri = `${deps.issuer}/console/sign-in/workforce/callback`;
    this.#timeoutSeconds = Math.max(0.1, deps.timeoutMs / 1000);
  }

  /** Where to send the browser, and the sealed ticket (a cookie) the callback checks. */
  async start(back: string, now = Date.now()): Promise<{ url: string; ticket: string }> {
    const config = await this.#configuration();
    const ticket: Ticket = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), back, exp: now + TICKET_TTL_MS };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.#redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(ticket.verifier),
      code_challenge_method: 'S256',
      state: ticket.state,
      nonce: ticket.nonce,
    });
    return { url: url.href, ticket: seal(this.#key, JSON.stringify(ticket), 'workforce-ticket') };
  }

  /** The provider's answer (the callback's query string): the operator it proves, signed in; answers the session and where to go. */
  async finish(query: string, sealed: string | undefined, now = Date.now()): Promise<{ operator: OperatorAccount; session: string; back: string }> {
    const ticket = this.#ticket(sealed, now);
    // The callback as registered (the issuer's host, whatever Host the request named), with the provider's answer.
    const callback = new URL(`${this.#redirectUri}${query}`);
    const config = await this.#configuration();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: ticket.verifier, expectedState: ticket.state, expectedNonce: ticket.nonce, idTokenExpected: true });
      claims = tokens.claims();
    } catch {
      await this.#failed('token', now);
      throw refused('The sign-in at the workforce provider did not complete');
    }
    const email = typeof claims?.email === 'string' ? claims.email : typeof claims?.preferred_username === 'string' && claims.preferred_username.includes('@') ? claims.preferred_username : undefined;
    const roles = this.#roles(claims?.[this.settings.groupsClaim]);
    if (!email || roles.length === 0) {
      await this.#failed(email ? 'no_role' : 'no_email', now);
      throw refused(email ? 'Your groups give no console role' : 'The workforce provider named no e-mail address');
    }
    const name = typeof claims?.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 100) : email.split('@')[0]!;
    const operator = await this.#db.transaction().execute((trx) => this.#accounts.workforce(trx, { email, name, roles }, now));
    return { operator, session: await this.#signIn.start(operator, 'workforce', now), back: ticket.back };
  }

  #roles(groups: unknown): ConsoleRole[] {
    const list = Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [];
    return [...new Set(list.flatMap((group) => this.settings.groupRoles.get(group) ?? []))];
  }

  #ticket(sealed: string | undefined, now: number): Ticket {
    try {
      const ticket = JSON.parse(open(this.#key, sealed ?? '', 'workforce-ticket')) as Ticket;
      if (ticket.exp > now) return ticket;
    } catch {
      // refused below
    }
    throw new DomainError('sign_in_expired', 400, 'The sign-in took too long; start again');
  }

  #configuration(): Promise<oidc.Configuration> {
    this.#config ??= this.#discover().catch((error: unknown) => {
      this.#config = undefined;
      throw error;
    });
    return this.#config;
  }

  async #discover(): Promise<oidc.Configuration> {
    const url = new URL(this.settings.issuer);
    try {
      return await oidc.discovery(url, this.settings.clientId, undefined, oidc.ClientSecretPost(this.settings.clientSecret), {
        timeout: this.#timeoutSeconds,
        [oidc.customFetch]: (target, options) => this.#fetch(target, options as RequestInit),
        execute: [oidc.enableNonRepudiationChecks, ...(url.protocol === 'http:' ? [oidc.allowInsecureRequests] : [])],
      });
    } catch {
      throw new DomainError('issuer_unreachable', 502, 'The workforce provider did not answer discovery');
    }
  }

  async #failed(reason: string, now: number): Promise<void> {
    await this.#db.transaction().execute((trx) => this.#audit.append(trx, { action: 'operator.sign_in_failed', actor: { type: 'system' }, details: { method: 'workforce', reason } }, now));
  }
}
