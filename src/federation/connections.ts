import type { Kysely } from 'kysely';
import * as oidc from 'openid-client';
import { open, seal } from '../crypto/sealed-box.ts';
import { conflict, DomainError, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../store/constraint-errors.ts';
import type { ConnectionsTable, Database } from '../store/schema.ts';
import type { ConnectionInput, ConnectionPatch } from './connection.schemas.ts';

export interface Connection {
  key: string;
  kind: 'oidc';
  name: string;
  issuer: string;
  clientId: string;
  hasClientSecret: boolean;
  scopes: string;
  trustEmailVerified: boolean;
  enabled: boolean;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** Where every upstream provider sends the customer back; registered at the upstream once. */
export const UPSTREAM_CALLBACK_PATH = '/login/upstream/callback';
const DISCOVERY_TIMEOUT_SECONDS = 10;
const DISCOVERY_CACHE_MS = 10 * 60_000;

/**
 * Upstream identity providers (generic OpenID Connect), managed through the API. The issuer is
 * checked by discovery when the connection is added; the client secret is sealed at rest. The
 * openid-client configuration (discovery document, client authentication) is cached per
 * connection for ten minutes and dropped on every change.
 */
export class Connections {
  readonly #db: Kysely<Database>;
  readonly #key: Buffer;
  readonly #audit: AuditLog;
  readonly #issuer: string;
  readonly #allowHttp: boolean;
  readonly #configs = new Map<string, { config: oidc.Configuration; stamp: string; at: number }>();

  /** `allowHttp`: outside production an upstream on plain http (a local test provider) is accepted. */
  constructor(deps: { db: Kysely<Database>; key: Buffer; audit: AuditLog; issuer: string; allowHttp: boolean }) {
    this.#db = deps.db;
    this.#key = deps.key;
    this.#audit = deps.audit;
    this.#issuer = deps.issuer;
    this.#allowHttp = deps.allowHttp;
  }

  get redirectUri(): string {
    return new URL(UPSTREAM_CALLBACK_PATH, this.#issuer).toString();
  }

  async create(input: ConnectionInput, now = Date.now()): Promise<Connection> {
    await this.#discover(input.issuer, input.client_id, input.client_secret);
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx
          .insertInto('connections')
          .values({
            key: input.key,
            name: input.name,
            kind: input.kind,
            issuer: input.issuer,
            client_id: input.client_id,
            client_secret: input.client_secret ? seal(this.#key, input.client_secret, `connection:${input.key}`) : null,
            scopes: input.scopes,
            trust_email_verified: input.trust_email_verified ? 1 : 0,
            enabled: input.enabled ? 1 : 0,
            version: 1,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await this.#audit.append(trx, { action: 'connection.created', actor: OPERATOR, subject: { type: 'connection', id: input.key }, details: { issuer: input.issuer } }, now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('connection_exists', `A connection ${input.key} exists already`);
      throw error;
    }
    return this.get(input.key);
  }

  async update(key: string, patch: ConnectionPatch, now = Date.now()): Promise<Connection> {
    const current = await this.#row(key);
    await this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('connections')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.client_id !== undefined ? { client_id: patch.client_id } : {}),
          ...(patch.client_secret !== undefined ? { client_secret: patch.client_secret ? seal(this.#key, patch.client_secret, `connection:${key}`) : null } : {}),
          ...(patch.scopes !== undefined ? { scopes: patch.scopes } : {}),
          ...(patch.trust_email_verified !== undefined ? { trust_email_verified: patch.trust_email_verified ? 1 : 0 } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
          version: current.version + 1,
          updated_at: now,
        })
        .where('key', '=', key)
        .where('version', '=', current.version)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw conflict('concurrent_update', 'The connection changed meanwhile; read it again');
      await this.#audit.append(trx, { action: 'connection.updated', actor: OPERATOR, subject: { type: 'connection', id: key }, details: { fields: Object.keys(patch).sort() } }, now);
    });
    this.#configs.delete(key);
    return this.get(key);
  }

  async remove(key: string, now = Date.now()): Promise<void> {
    const inUse = () => conflict('connection_in_use', 'Customers sign in with this connection; disable it instead');
    try {
      await this.#db.transaction().execute(async (trx) => {
        const linked = await trx.selectFrom('identities').select('customer_id').where('connection', '=', key).executeTakeFirst();
        if (linked) throw inUse();
        const result = await trx.deleteFrom('connections').where('key', '=', key).executeTakeFirst();
        if (Number(result.numDeletedRows) !== 1) throw notFound('connection');
        await this.#audit.append(trx, { action: 'connection.removed', actor: OPERATOR, subject: { type: 'connection', id: key } }, now);
      });
    } catch (error) {
      // An identity linked at the same moment: the foreign key decides.
      if (isForeignKeyViolation(error)) throw inUse();
      throw error;
    }
    this.#configs.delete(key);
  }

  async list(): Promise<Connection[]> {
    return (await this.#db.selectFrom('connections').selectAll().orderBy('key').execute()).map(present);
  }

  async enabled(): Promise<Connection[]> {
    return (await this.list()).filter((connection) => connection.enabled);
  }

  async get(key: string): Promise<Connection> {
    return present(await this.#row(key));
  }

  /** The openid-client configuration of an enabled connection (discovery cached). */
  async clientConfig(key: string, now = Date.now()): Promise<{ connection: Connection; config: oidc.Configuration }> {
    const row = await this.#row(key);
    if (row.enabled !== 1) throw new DomainError('connection_disabled', 404, 'This way to sign in is not available');
    // The cache is keyed by the row's version and creation: a connection removed and added again
    // under the same key (version 1 again) is never served another issuer's configuration.
    const stamp = `${row.version}:${row.created_at}:${row.issuer}`;
    const cached = this.#configs.get(key);
    if (cached && cached.stamp === stamp && now - cached.at < DISCOVERY_CACHE_MS) return { connection: present(row), config: cached.config };
    const config = await this.#discover(row.issuer, row.client_id, row.client_secret ? open(this.#key, row.client_secret, `connection:${key}`) : null);
    this.#configs.set(key, { config, stamp, at: now });
    return { connection: present(row), config };
  }

  async #discover(issuer: string, clientId: string, clientSecret: string | null): Promise<oidc.Configuration> {
    const url = new URL(issuer);
    if (url.protocol === 'http:' && !this.#allowHttp) throw new DomainError('insecure_issuer', 400, 'An upstream issuer must use https');
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(url, clientId, undefined, clientSecret ? oidc.ClientSecretPost(clientSecret) : oidc.None(), {
        timeout: DISCOVERY_TIMEOUT_SECONDS,
        ...(url.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
    } catch {
      throw new DomainError('issuer_unreachable', 400, `No OpenID provider answered discovery at ${issuer}`);
    }
    // The endpoints the discovery document names receive the client secret and codes: https too.
    const metadata = config.serverMetadata();
    const endpoints = [metadata.authorization_endpoint, metadata.token_endpoint, metadata.jwks_uri].filter((value): value is string => typeof value === 'string');
    if (!this.#allowHttp && endpoints.some((endpoint) => !endpoint.startsWith('https://'))) throw new DomainError('insecure_issuer', 400, 'The provider names endpoints that are not https');
    return config;
  }

  async #row(key: string): Promise<ConnectionsTable> {
    const row = await this.#db.selectFrom('connections').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) throw notFound('connection');
    return row;
  }
}

function present(row: ConnectionsTable): Connection {
  return {
    key: row.key,
    kind: row.kind,
    name: row.name,
    issuer: row.issuer,
    clientId: row.client_id,
    hasClientSecret: row.client_secret !== null,
    scopes: row.scopes,
    trustEmailVerified: row.trust_email_verified === 1,
    enabled: row.enabled === 1,
    version: row.version,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
