import type { Kysely, Transaction } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { conflict, DomainError, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../store/constraint-errors.ts';
import type { ConnectionsTable, Database } from '../store/schema.ts';
import { patchIssues, type ConnectionInput, type ConnectionPatch } from './connection.schemas.ts';
import type { Connector } from './connectors/connector.ts';
import { connectorFor, ownSettingsIn, storedKind, type ConnectionKind, type ConnectionSettings } from './connectors/registry.ts';

export interface Connection {
  key: string;
  kind: ConnectionKind;
  name: string;
  issuer: string;
  clientId: string;
  hasClientSecret: boolean;
  scopes: string;
  trustEmailVerified: boolean;
  enabled: boolean;
  settings: ConnectionSettings;
  /** Only these clients offer it; null: every client. */
  clients: string[] | null;
  /** Only clients of these brands offer it; null: every brand. */
  brands: string[] | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** A connection with its secret opened: what an upstream client is built from. */
export interface ConnectionWithSecret {
  connection: Connection;
  /** The client secret, or for Apple the private key (PEM) the client secret JWT is signed with. */
  secret: string | null;
  /** Changes whenever anything the upstream client is built from changes. */
  stamp: string;
}

/**
 * Where upstream providers send the customer back: one URL per connection (`…/{key}`), registered
 * at that provider. An answer arriving at another connection's URL than the one the sign-in went to
 * is refused, which stops mix-up attacks between providers (RFC 9700 §4.4).
 */
export const UPSTREAM_CALLBACK_PATH = '/login/upstream/callback';

/** Checks a new or changed connection against its provider (discovery, keys) before it is stored. */
export type ConnectionCheck = (candidate: ConnectionWithSecret) => Promise<void>;

/**
 * Upstream identity providers, managed through the API: a generic OpenID provider, or a preset
 * (Google, Apple, Microsoft, Meta) whose issuer, scopes and trust in its address verification
 * default to the provider's. The client secret (Apple: the signing key) is sealed at rest. Each is
 * offered at every client, or only at the clients and brands it lists.
 */
export class Connections {
  readonly #db: Kysely<Database>;
  readonly #key: SealingKeys;
  readonly #audit: AuditLog;
  readonly #issuer: string;
  #check: ConnectionCheck = async () => {};

  constructor(deps: { db: Kysely<Database>; key: SealingKeys; audit: AuditLog; issuer: string }) {
    this.#db = deps.db;
    this.#key = deps.key;
    this.#audit = deps.audit;
    this.#issuer = deps.issuer;
  }

  /** The upstream clients check what is stored (discovery); set once when the module is built. */
  checkWith(check: ConnectionCheck): void {
    this.#check = check;
  }

  redirectUriFor(key: string): string {
    return new URL(`${UPSTREAM_CALLBACK_PATH}/${key}`, this.#issuer).toString();
  }

  async create(input: ConnectionInput, now = Date.now()): Promise<Connection> {
    const connector = connectorFor(input.kind);
    const own = ownSettingsIn(input, input.kind);
    const kept = storedSettings(connector, own);
    const settings: ConnectionSettings = kept === undefined ? {} : { [input.kind]: kept };
    const secret = secretOf(connector, input.client_secret, own) ?? null;
    const row: ConnectionRow = {
      key: input.key,
      name: input.name ?? connector.preset.name,
      kind: input.kind,
      issuer: input.issuer ?? defaultIssuer(connector, kept),
      client_id: input.client_id,
      client_secret: secret ? this.#seal(input.key, secret) : null,
      scopes: input.scopes ?? connector.preset.scopes,
      trust_email_verified: (input.trust_email_verified ?? connector.preset.trustEmailVerified) ? 1 : 0,
      enabled: input.enabled ? 1 : 0,
      settings: JSON.stringify(settings),
      clients: input.clients ? JSON.stringify(input.clients) : null,
      brands: input.brands ? JSON.stringify(input.brands) : null,
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await this.#verify(row, secret);
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx.insertInto('connections').values(row).execute();
        await this.#audit.append(trx, { action: 'connection.created', actor: OPERATOR, subject: { type: 'connection', id: input.key }, details: { kind: input.kind, issuer: row.issuer } }, now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('connection_exists', `A connection ${input.key} exists already`);
      throw error;
    }
    return this.get(input.key);
  }

  async update(key: string, patch: ConnectionPatch, now = Date.now()): Promise<Connection> {
    const current = await this.#row(key);
    const issues = patchIssues(current.kind, patch);
    if (issues.length > 0) throw new DomainError('invalid_body', 400, issues.join('; '));
    const connector = connectorFor(current.kind);
    const own = ownSettingsIn(patch, current.kind);
    const kept = storedSettings(connector, own);
    const before = JSON.parse(current.settings) as ConnectionSettings;
    const settings: ConnectionSettings = { ...before, ...(kept === undefined ? {} : { [current.kind]: kept }) };
    const secret = secretOf(connector, patch.client_secret, own);
    // Where the provider's issuer depends on the settings (Microsoft's tenant), the issuer follows them (unless the connection names its own).
    const issuer = kept === undefined ? current.issuer : followedIssuer(connector, current.issuer, ownSettingsIn(before, current.kind), kept);
    const changes: Partial<Omit<ConnectionsTable, 'kind'>> = {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.client_id !== undefined ? { client_id: patch.client_id } : {}),
      ...(secret !== undefined ? { client_secret: secret ? this.#seal(key, secret) : null } : {}),
      ...(patch.scopes !== undefined ? { scopes: patch.scopes } : {}),
      ...(patch.trust_email_verified !== undefined ? { trust_email_verified: patch.trust_email_verified ? 1 : 0 } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
      ...(patch.clients !== undefined ? { clients: patch.clients ? JSON.stringify(patch.clients) : null } : {}),
      ...(patch.brands !== undefined ? { brands: patch.brands ? JSON.stringify(patch.brands) : null } : {}),
      ...(kept !== undefined ? { settings: JSON.stringify(settings) } : {}),
      ...(issuer !== current.issuer ? { issuer } : {}),
    };
    const next = { ...current, ...changes, version: current.version + 1, updated_at: now };
    // What the upstream client is built from changed: it must still work before it is stored.
    if (changes.client_id !== undefined || changes.client_secret !== undefined || changes.settings !== undefined) {
      await this.#verify(next, secret !== undefined ? secret : this.#opened(current));
    }
    await this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('connections')
        .set({ ...changes, version: next.version, updated_at: now })
        .where('key', '=', key)
        .where('version', '=', current.version)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw conflict('concurrent_update', 'The connection changed meanwhile; read it again');
      await this.#audit.append(trx, { action: 'connection.updated', actor: OPERATOR, subject: { type: 'connection', id: key }, details: { fields: Object.keys(patch).sort() } }, now);
    });
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
  }

  async list(): Promise<Connection[]> {
    return (await this.#db.selectFrom('connections').selectAll().orderBy('key').execute()).map((row) => present(withKind(row)));
  }

  /** The enabled connections a client offers: every one not narrowed to other clients or brands. */
  async offeredTo(clientId: string, brand: string | null): Promise<Connection[]> {
    return (await this.list()).filter((connection) => connection.enabled && offers(connection, clientId, brand));
  }

  async get(key: string): Promise<Connection> {
    return present(await this.#row(key));
  }

  /** An enabled connection with its secret opened, for building its upstream client. */
  async withSecret(key: string): Promise<ConnectionWithSecret> {
    const row = await this.#row(key);
    if (row.enabled !== 1) throw new DomainError('connection_disabled', 404, 'This way to sign in is not available');
    return { connection: present(row), secret: this.#opened(row), stamp: stampOf(row) };
  }

  /** A connection with its secret opened, enabled or not: what an administrator's test signs in through before it is turned on. */
  async withSecretForTest(key: string): Promise<ConnectionWithSecret> {
    const row = await this.#row(key);
    return { connection: present(row), secret: this.#opened(row), stamp: stampOf(row) };
  }

  async #verify(row: ConnectionRow, secret: string | null): Promise<void> {
    await connectorFor(row.kind).verifySecret?.(secret);
    await this.#check({ connection: present(row), secret, stamp: stampOf(row) });
  }

  #seal(key: string, secret: string): string {
    return seal(this.#key, secret, `connection:${key}`);
  }

  #opened(row: ConnectionRow): string | null {
    return row.client_secret ? open(this.#key, row.client_secret, `connection:${row.key}`) : null;
  }

  async #row(key: string): Promise<ConnectionRow> {
    const row = await this.#db.selectFrom('connections').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) throw notFound('connection');
    return withKind(row);
  }
}

/** Whether a connection is offered at a client: listed (or no list), and of a listed brand (or no list). */
export function offers(connection: Pick<Connection, 'clients' | 'brands'>, clientId: string, brand: string | null): boolean {
  if (connection.clients && !connection.clients.includes(clientId)) return false;
  if (connection.brands && (brand === null || !connection.brands.includes(brand))) return false;
  return true;
}

/** What is kept of a kind's settings block, if the input has one. */
function storedSettings(connector: Connector, own: unknown): unknown {
  return own !== undefined && connector.settings ? connector.settings.stored(own) : undefined;
}

/** What is sealed as the secret: the client secret, or what the kind takes instead (Apple: its private key). */
function secretOf(connector: Connector, clientSecret: string | null | undefined, own: unknown): string | null | undefined {
  return connector.secretFrom ? connector.secretFrom(clientSecret, own) : clientSecret;
}

/** A preset's own issuer; a kind without one (oidc) is refused by its rules before this. */
function defaultIssuer(connector: Connector, settings: unknown): string {
  const issuer = connector.preset.issuer(settings);
  if (issuer === null) throw new DomainError('invalid_body', 400, `issuer: a ${connector.kind} connection needs its issuer`);
  return issuer;
}

/** The issuer after a settings change: the preset's for the new settings, if it was the preset's for the old ones. */
function followedIssuer(connector: Connector, current: string, before: unknown, after: unknown): string {
  const was = connector.preset.issuer(before);
  return was !== null && current === was ? (connector.preset.issuer(after) ?? current) : current;
}

/**
 * The version and creation time identify one stored state of a connection: a connection removed
 * and added again under the same key (version 1 again) is never mistaken for the old one.
 */
function stampOf(row: ConnectionRow): string {
  return `${row.version}:${row.created_at}:${row.issuer}`;
}

/** A stored row, its kind checked against the registry. */
type ConnectionRow = Omit<ConnectionsTable, 'kind'> & { kind: ConnectionKind };

function withKind(row: ConnectionsTable): ConnectionRow {
  return { ...row, kind: storedKind(row.kind) };
}

function present(row: ConnectionRow): Connection {
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
    settings: JSON.parse(row.settings) as ConnectionSettings,
    clients: row.clients ? (JSON.parse(row.clients) as string[]) : null,
    brands: row.brands ? (JSON.parse(row.brands) as string[]) : null,
    version: row.version,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** `secret rotate` (ops/secret-rotation.ts): a connection's client secret sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealConnectionSecret(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('connections').set({ client_secret: sealed }).where('key', '=', id).where('client_secret', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
