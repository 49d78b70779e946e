import { randomBytes } from 'node:crypto';
import { generateSecret, hashSecret } from '../crypto/secret-hash.ts';
import { concurrentUpdate, conflict, DomainError, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { assertSafeClient, clientWarnings, defaultAuthMethod } from './client-safety.ts';
import type { ClientRecord, ClientStore } from './client-store.ts';
import type { ClientInput, ClientMetadata, ClientOutput, ClientPatch } from './client.schemas.ts';
import type { OutboundUrlCheck } from '../outbound/outbound-url-check.ts';

/** Checks metadata the way the OpenID provider will read it; throws a DomainError when it would refuse it. */
export type ClientMetadataValidator = (clientId: string, metadata: ClientMetadata, secretHash: string | null) => Promise<void>;

export class Clients {
  readonly #repo: ClientStore;
  readonly #validate: ClientMetadataValidator;
  readonly #audit: AuditLog;
  readonly #checkUrl: OutboundUrlCheck;

  /** `checkUrl`: the production rule for URLs Portvakt calls (https, public addresses), here the back-channel logout URI. */
  constructor(repo: ClientStore, validate: ClientMetadataValidator, audit: AuditLog, checkUrl: OutboundUrlCheck = async () => {}) {
    this.#repo = repo;
    this.#validate = validate;
    this.#audit = audit;
    this.#checkUrl = checkUrl;
  }

  /** Registers a client; a confidential client's secret is in the answer once and stored hashed. */
  async register(input: ClientInput, now = Date.now()): Promise<ClientOutput> {
    const metadata = settle(input);
    assertSafeClient(metadata, input.token_endpoint_auth_method !== undefined);
    if (metadata.backchannel_logout_uri) await this.#checkUrl(metadata.backchannel_logout_uri, 'backchannel_logout_uri');
    const clientId = randomBytes(16).toString('base64url');
    const secret = needsSecret(metadata) ? generateSecret() : undefined;
    const record: ClientRecord = {
      clientId,
      secretHash: secret ? hashSecret(secret) : null,
      metadata,
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    assertRoleScopes(metadata);
    await this.#validate(clientId, metadata, record.secretHash);
    await this.#repo.transaction(async (trx) => {
      await this.#repo.insert(record, trx);
      await this.#audit.append(trx, { action: 'client.created', actor: OPERATOR, subject: { type: 'client', id: clientId }, details: { first_party: metadata.first_party === true } }, now);
    });
    this.#repo.changed(clientId);
    return { ...present(record), ...(secret ? { client_secret: secret } : {}) };
  }

  async get(clientId: string): Promise<ClientOutput> {
    return present(await this.#require(clientId));
  }

  async list(limit = 100, after?: string): Promise<ClientOutput[]> {
    return (await this.#repo.list(limit, after)).map(present);
  }

  /** Changes metadata; turning a public client confidential issues a secret (shown once). */
  async update(clientId: string, patch: ClientPatch, now = Date.now()): Promise<ClientOutput> {
    const current = await this.#require(clientId);
    const { response_types: responseTypes, scope: currentScope, ...rest } = current.metadata;
    const { scope: patchScope, backchannel_logout_uri: patchLogoutUri, ...changes } = patch;
    const scope = patchScope === null ? undefined : (patchScope ?? currentScope);
    const { backchannel_logout_uri: currentLogoutUri, ...kept } = rest;
    if (patchLogoutUri) await this.#checkUrl(patchLogoutUri, 'backchannel_logout_uri');
    const logoutUri = patchLogoutUri === null ? undefined : (patchLogoutUri ?? currentLogoutUri);
    const metadata = settle({
      ...kept,
      require_pushed_authorization_requests: kept.require_pushed_authorization_requests ?? false,
      dpop_bound_access_tokens: kept.dpop_bound_access_tokens ?? false,
      ...(patch.grant_types ? {} : { response_types: responseTypes }),
      ...changes,
      ...(scope === undefined ? {} : { scope }),
      ...(logoutUri === undefined ? {} : { backchannel_logout_uri: logoutUri }),
    });
    let secret: string | undefined;
    let secretHash = needsSecret(metadata) ? current.secretHash : null;
    if (needsSecret(metadata) && !secretHash) {
      secret = generateSecret();
      secretHash = hashSecret(secret);
    }
    const record: ClientRecord = { ...current, metadata, secretHash, updatedAt: now };
    const wasConfidentialNative = current.metadata.application_type === 'native' && current.metadata.token_endpoint_auth_method !== 'none';
    assertSafeClient(metadata, patch.token_endpoint_auth_method !== undefined || wasConfidentialNative);
    assertRoleScopes(metadata);
    await this.#validate(clientId, metadata, secretHash);
    const updated = await this.#repo.transaction(async (trx) => {
      if (!(await this.#repo.update(record, trx))) return false;
      const fields = Object.keys(patch).sort();
      await this.#audit.append(trx, { action: 'client.updated', actor: OPERATOR, subject: { type: 'client', id: clientId }, details: { fields, secret_issued: secret !== undefined } }, now);
      return true;
    });
    if (!updated) {
      await this.#require(clientId);
      throw concurrentUpdate('client');
    }
    this.#repo.changed(clientId);
    return { ...present(record), ...(secret ? { client_secret: secret } : {}) };
  }

  /**
   * A new secret for a confidential client, in the answer once. The old one stops working at once
   * (on every node: the cached client is forgotten), as a leaked secret must; tokens already issued
   * live out their lifetime, and refresh tokens need the new secret to be used.
   */
  async newSecret(clientId: string, now = Date.now()): Promise<ClientOutput & { client_secret: string }> {
    const current = await this.#require(clientId);
    if (!needsSecret(current.metadata)) throw conflict('public_client', 'A public client (token_endpoint_auth_method none) has no secret; make it confidential with PATCH to get one');
    const secret = generateSecret();
    const record: ClientRecord = { ...current, secretHash: hashSecret(secret), updatedAt: now };
    const updated = await this.#repo.transaction(async (trx) => {
      if (!(await this.#repo.update(record, trx))) return false;
      await this.#audit.append(trx, { action: 'client.secret_rotated', actor: OPERATOR, subject: { type: 'client', id: clientId } }, now);
      return true;
    });
    if (!updated) {
      await this.#require(clientId);
      throw concurrentUpdate('client');
    }
    this.#repo.changed(clientId);
    return { ...present(record), client_secret: secret };
  }

  async remove(clientId: string): Promise<void> {
    await this.#repo.transaction(async (trx) => {
      if (!(await this.#repo.delete(clientId, trx))) throw notFound('client');
      await this.#audit.append(trx, { action: 'client.deleted', actor: OPERATOR, subject: { type: 'client', id: clientId } });
    });
    this.#repo.changed(clientId);
  }

  async #require(clientId: string): Promise<ClientRecord> {
    const record = await this.#repo.find(clientId);
    if (!record) throw notFound('client');
    return record;
  }
}

function needsSecret(metadata: ClientMetadata): boolean {
  return metadata.token_endpoint_auth_method !== 'none';
}

/**
 * response_types follow grant_types unless given: `code` exactly when authorization_code is allowed.
 * The auth method, unless given, follows the application type (a native app is public).
 */
function settle(input: ClientInput): ClientMetadata {
  const { response_types: responseTypes, token_endpoint_auth_method: authMethod, ...rest } = input;
  return {
    ...rest,
    token_endpoint_auth_method: authMethod ?? defaultAuthMethod(input.application_type),
    response_types: responseTypes ?? (input.grant_types.includes('authorization_code') ? ['code'] : []),
  };
}

function present(record: ClientRecord): ClientOutput {
  return {
    client_id: record.clientId,
    client_id_issued_at: Math.floor(record.createdAt / 1000),
    ...record.metadata,
    brand: record.metadata.brand ?? null,
    reference_systems: record.metadata.reference_systems ?? [],
    segments: record.metadata.segments ?? [],
    require_pushed_authorization_requests: record.metadata.require_pushed_authorization_requests ?? false,
    dpop_bound_access_tokens: record.metadata.dpop_bound_access_tokens ?? false,
    warnings: clientWarnings(record.metadata),
    backchannel_logout_uri: record.metadata.backchannel_logout_uri ?? null,
    backchannel_logout_session_required: record.metadata.backchannel_logout_session_required ?? false,
    updated_at: Math.floor(record.updatedAt / 1000),
  };
}

/**
 * `portvakt:{role}` scopes make a machine client an operator of the management API: only a
 * confidential client that does nothing but client_credentials may carry them, so no sign-in
 * (and no public app) can ever hold a management role.
 */
function assertRoleScopes(metadata: ClientMetadata): void {
  const roleScopes = (metadata.scope ?? '').split(' ').filter((scope) => scope.startsWith('portvakt:'));
  if (roleScopes.length === 0) return;
  const machineOnly = metadata.grant_types.length === 1 && metadata.grant_types[0] === 'client_credentials' && metadata.token_endpoint_auth_method !== 'none';
  if (!machineOnly) throw new DomainError('invalid_client_metadata', 400, 'portvakt:{role} scopes are for confidential clients that only use client_credentials');
}
