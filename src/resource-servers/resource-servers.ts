import { randomBytes } from 'node:crypto';
import type { ClientStore } from '../clients/client-store.ts';
import { concurrentUpdate, conflict, invalid, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { isProtocolScope } from '../oidc/protocol-scopes.ts';
import { isUniqueViolation } from '../store/constraint-errors.ts';
import type { ResourceServerRecord, ResourceServerStore } from './resource-server-store.ts';
import type { ResourceServerInput, ResourceServerOutput, ResourceServerPatch } from './resource-server.schemas.ts';

export interface ResourceServersDeps {
  store: ResourceServerStore;
  clients: ClientStore;
  audit: AuditLog;
  /** In production an identifier must be https; elsewhere http is taken too (local APIs). */
  production: boolean;
}

/**
 * The group's own APIs as resource servers (RFC 8707): registered by an admin, each with the scopes
 * it defines, the format and lifetime of its access tokens, and the clients that may ask for them.
 */
export class ResourceServers {
  readonly #deps: ResourceServersDeps;

  constructor(deps: ResourceServersDeps) {
    this.#deps = deps;
  }

  async register(input: ResourceServerInput, now = Date.now()): Promise<ResourceServerOutput> {
    const { store, audit } = this.#deps;
    assertIdentifier(input.identifier, this.#deps.production);
    assertScopes(input.scopes.map((scope) => scope.value));
    await this.#assertClients([...input.allowed_clients, ...input.introspection_clients]);
    const record: ResourceServerRecord = {
      id: randomBytes(12).toString('base64url'),
      identifier: input.identifier,
      name: input.name,
      scopes: input.scopes,
      tokenFormat: input.token_format,
      accessTokenTtl: input.access_token_ttl,
      allowedClients: input.allowed_clients,
      introspectionClients: input.introspection_clients,
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await store.transaction(async (trx) => {
        await store.insert(record, trx);
        await audit.append(trx, { action: 'resource_server.created', actor: OPERATOR, subject: { type: 'resource_server', id: record.id }, details: { identifier: record.identifier, token_format: record.tokenFormat } }, now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('identifier_taken', 'A resource server with this identifier exists already');
      throw error;
    }
    store.changed(record.identifier);
    return present(record);
  }

  async get(id: string): Promise<ResourceServerOutput> {
    return present(await this.#require(id));
  }

  async list(limit = 100, after?: string): Promise<ResourceServerOutput[]> {
    return (await this.#deps.store.list(limit, after)).map(present);
  }

  async update(id: string, patch: ResourceServerPatch, now = Date.now()): Promise<ResourceServerOutput> {
    const { store, audit } = this.#deps;
    const current = await this.#require(id);
    if (patch.scopes) assertScopes(patch.scopes.map((scope) => scope.value));
    await this.#assertClients([...(patch.allowed_clients ?? []), ...(patch.introspection_clients ?? [])]);
    const record: ResourceServerRecord = {
      ...current,
      name: patch.name ?? current.name,
      scopes: patch.scopes ?? current.scopes,
      tokenFormat: patch.token_format ?? current.tokenFormat,
      accessTokenTtl: patch.access_token_ttl ?? current.accessTokenTtl,
      allowedClients: patch.allowed_clients ?? current.allowedClients,
      introspectionClients: patch.introspection_clients ?? current.introspectionClients,
      updatedAt: now,
    };
    const updated = await store.transaction(async (trx) => {
      if (!(await store.update(record, trx))) return false;
      await audit.append(trx, { action: 'resource_server.updated', actor: OPERATOR, subject: { type: 'resource_server', id }, details: { fields: Object.keys(patch).sort() } }, now);
      return true;
    });
    if (!updated) {
      await this.#require(id);
      throw concurrentUpdate('resource server');
    }
    store.changed(record.identifier);
    return present({ ...record, version: record.version + 1 });
  }

  async remove(id: string): Promise<void> {
    const { store, audit } = this.#deps;
    const identifier = await store.transaction(async (trx) => {
      const deleted = await store.delete(id, trx);
      if (deleted === undefined) throw notFound('resource server');
      await audit.append(trx, { action: 'resource_server.deleted', actor: OPERATOR, subject: { type: 'resource_server', id }, details: { identifier: deleted } });
      return deleted;
    });
    store.changed(identifier);
  }

  /** Every allowed client must exist when it is named (a later deletion only makes the entry inert). */
  async #assertClients(clientIds: readonly string[]): Promise<void> {
    const unknown: string[] = [];
    for (const clientId of clientIds) if (!(await this.#deps.clients.find(clientId))) unknown.push(clientId);
    if (unknown.length > 0) throw invalid('unknown_client', 'allowed_clients or introspection_clients names clients that do not exist', { client_ids: [...new Set(unknown)].slice(0, 20) });
  }

  async #require(id: string): Promise<ResourceServerRecord> {
    const record = await this.#deps.store.find(id);
    if (!record) throw notFound('resource server');
    return record;
  }
}

/**
 * RFC 8707 §2: an absolute URI without a fragment; https (http outside production); no user
 * information, no whitespace. The identifier is compared as written, so it is stored as given.
 */
function assertIdentifier(identifier: string, production: boolean): void {
  const url = URL.parse(identifier);
  const refuse = (why: string) => invalid('invalid_identifier', `identifier ${why}`);
  if (!url || /\s/.test(identifier)) throw refuse('must be an absolute URI');
  if (identifier.includes('#')) throw refuse('must not have a fragment');
  if (url.protocol !== 'https:' && (production || url.protocol !== 'http:')) throw refuse(production ? 'must be an https URI' : 'must be an https (or, outside production, http) URI');
  if (url.username || url.password) throw refuse('must not carry user information');
}

/** A resource server's scopes may not be Portvakt's own (openid, email …, portvakt:{role}). */
function assertScopes(scopes: readonly string[]): void {
  const reserved = scopes.filter(isProtocolScope);
  if (reserved.length > 0) throw invalid('reserved_scope', `These scopes are Portvakt's own and cannot belong to a resource server: ${reserved.slice(0, 10).join(' ')}`);
}

function present(record: ResourceServerRecord): ResourceServerOutput {
  return {
    id: record.id,
    identifier: record.identifier,
    name: record.name,
    scopes: record.scopes.map((scope) => (scope.description === undefined ? { value: scope.value } : { value: scope.value, description: scope.description })),
    token_format: record.tokenFormat,
    access_token_ttl: record.accessTokenTtl,
    allowed_clients: record.allowedClients,
    introspection_clients: record.introspectionClients,
    created_at: Math.floor(record.createdAt / 1000),
    updated_at: Math.floor(record.updatedAt / 1000),
  };
}
