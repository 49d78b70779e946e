import * as oidc from 'openid-client';
import { DomainError } from '../errors/domain-error.ts';
import type { OutboundFetch } from '../outbound/outbound-guard.ts';
import type { ConnectionWithSecret, Connections, Connection } from './connections.ts';
import { connectorFor, connectorView } from './connectors/registry.ts';
import { upstreamFailureCause } from './upstream-failure-cause.ts';

const CACHE_MS = 10 * 60_000;

/** Where a failed discovery is told (the app's logger). */
export interface UpstreamLog {
  warn(details: object, message: string): void;
}

export interface UpstreamClient {
  connection: Connection;
  config: oidc.Configuration;
  /** The client secret (Meta's app secret signs each Graph call); Apple: its signing key. */
  secret: string | null;
}

/**
 * openid-client configurations of the connections, cached per connection for ten minutes and
 * rebuilt whenever the connection changes. OpenID kinds come from discovery; a kind without it
 * (Meta) builds its own from fixed endpoints, checked here like discovered ones. Every request has the configured timeout and goes
 * through the outbound fetch.
 */
export class UpstreamClients {
  readonly #connections: Connections;
  readonly #allowHttp: boolean;
  readonly #timeoutSeconds: number;
  readonly #fetch: OutboundFetch;
  readonly #log: UpstreamLog | undefined;
  readonly #cache = new Map<string, { config: oidc.Configuration; stamp: string; at: number }>();

  /** `allowHttp`: outside production an upstream on plain http (a local test provider) is accepted. */
  constructor(deps: { connections: Connections; allowHttp: boolean; timeoutMs: number; fetch: OutboundFetch; log?: UpstreamLog }) {
    this.#connections = deps.connections;
    this.#allowHttp = deps.allowHttp;
    this.#timeoutSeconds = Math.max(0.1, deps.timeoutMs / 1000);
    this.#fetch = deps.fetch;
    this.#log = deps.log;
  }

  /** The client of an enabled connection; a provider that cannot be reached is `issuer_unreachable`. */
  async forKey(key: string, now = Date.now()): Promise<UpstreamClient> {
    const candidate = await this.#connections.withSecret(key);
    const cached = this.#cache.get(key);
    if (cached && cached.stamp === candidate.stamp && now - cached.at < CACHE_MS) return { connection: candidate.connection, config: cached.config, secret: candidate.secret };
    const config = await this.build(candidate);
    this.#cache.set(key, { config, stamp: candidate.stamp, at: now });
    return { connection: candidate.connection, config, secret: candidate.secret };
  }

  /** Builds (and so checks) the client of a connection as stored or about to be. */
  async build({ connection, secret }: ConnectionWithSecret): Promise<oidc.Configuration> {
    const connector = connectorFor(connection.kind);
    const view = connectorView(connection);
    const auth = await connector.clientAuthentication(view, secret);
    const config = connector.configuration ? connector.configuration(view, secret, auth, (endpoint) => this.#allowed(endpoint, 'endpoint')) : await this.#discover(connection, auth);
    config.timeout = this.#timeoutSeconds;
    config[oidc.customFetch] = (url, options) => this.#fetch(url, options as RequestInit);
    return config;
  }

  async #discover(connection: Connection, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
    const url = this.#allowed(connection.issuer, 'issuer');
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(url, connection.clientId, undefined, auth, {
        timeout: this.#timeoutSeconds,
        [oidc.customFetch]: (target, options) => this.#fetch(target, options as RequestInit),
        // ID token signatures are checked against the provider's JWKS, not only trusted for
        // arriving over TLS from the token endpoint (which OpenID Connect Core would allow).
        execute: [oidc.enableNonRepudiationChecks, ...(url.protocol === 'http:' ? [oidc.allowInsecureRequests] : [])],
      });
    } catch (error) {
      const failure = upstreamFailureCause(error);
      this.#log?.warn({ connection: connection.key, issuer: connection.issuer, cause: failure.cause, status: failure.status }, `upstream discovery failed: ${failure.description}`);
      throw new DomainError('issuer_unreachable', 400, `Discovery at ${connection.issuer} failed: ${failure.description}`, { cause: failure.cause, ...(failure.status ? { status: failure.status } : {}) });
    }
    // The endpoints the discovery document names receive the client secret and codes: https too.
    const metadata = config.serverMetadata();
    for (const endpoint of [metadata.authorization_endpoint, metadata.token_endpoint, metadata.jwks_uri]) {
      if (typeof endpoint === 'string') this.#allowed(endpoint, 'endpoint');
    }
    return config;
  }

  #allowed(value: string, what: 'issuer' | 'endpoint'): URL {
    const url = new URL(value);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#allowHttp)) {
      throw new DomainError('insecure_issuer', 400, what === 'issuer' ? 'An upstream issuer must use https' : 'The provider names endpoints that are not https');
    }
    return url;
  }
}
