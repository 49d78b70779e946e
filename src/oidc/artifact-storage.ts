import type { Kysely, Transaction } from 'kysely';
import type { Adapter } from 'oidc-provider';
import type { CustomerDataOwner, ForgottenCustomer, TableDeclaration } from '../customers/customer-data.ts';
import type { Store } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import { ArtifactAdapter, type ArtifactBatching, deleteAccountArtifacts, deleteSession, revokeAccountArtifacts, revokeGrants, upsertArtifacts } from './artifact-adapter.ts';
import { ArtifactUpserts } from './artifact-upserts.ts';
import { noticesOfSession, type LogoutNotice } from './backchannel-logout.ts';
import type { RedisArtifacts } from './redis-artifact-adapter.ts';

/**
 * The short-lived models that go to Redis when REDIS_URL is set: each lives minutes to an hour,
 * is written or read on every protocol request, and losing them all (Redis restarted) costs a
 * customer one more sign-in step or a client one more token request, never data.
 * Session stays in the database although it is short-lived too: customers list and end their
 * sessions per account (/account/security), a query the database answers from an index.
 * Durable models (Grant, RefreshToken) and everything Portvakt owns stay in the database.
 */
export const MODELS_IN_REDIS: ReadonlySet<string> = new Set([
  'Interaction',
  'AuthorizationCode',
  'PushedAuthorizationRequest',
  'DeviceCode',
  // The last poll of a pending device code (device-polling.ts): minutes, written on every poll.
  'DevicePoll',
  'BackchannelAuthenticationRequest',
  'ReplayDetection',
  'AccessToken',
  'ClientCredentials',
]);

/** The store's group commit on SQLite; batched upserts on PostgreSQL (README, "Durability of tokens and sessions"). */
export function artifactBatching(store: Store): ArtifactBatching {
  return store.groupCommit ? { groupCommit: store.groupCommit } : { upserts: new ArtifactUpserts((rows) => upsertArtifacts(store.db, rows)) };
}

/** Told, in the transaction that deletes them, which clients used the sessions that end (back-channel logout). */
export type SessionsEnded = (db: Kysely<Database>, notices: LogoutNotice[]) => Promise<void>;

/** Where oidc-provider's artifacts live, and revocation across both places. */
export class ArtifactStorage implements CustomerDataOwner {
  /** Written in artifact-adapter.ts, this class's storage for the database. */
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'oidc_artifacts',
      columns: { model: 'plain', id: 'plain', payload: 'sessions', grant_id: 'plain', account_id: 'sessions', uid: 'plain', user_code: 'plain', expires_at: 'plain', consumed_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'omitted', reason: 'sessions, grants and tokens are the protocol\'s secrets; the sessions are exported as devices (session_devices)' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #redis: RedisArtifacts | undefined;
  readonly #batching: ArtifactBatching | undefined;
  #sessionsEnded: SessionsEnded | undefined;

  /** `batching` gathers the database adapters' writes into shared commits (`artifactBatching`). */
  constructor(db: Kysely<Database>, redis?: RedisArtifacts, batching?: ArtifactBatching) {
    this.#db = db;
    this.#redis = redis;
    this.#batching = batching;
  }

  /**
   * Wired after construction (the outbox is built later): every path here that deletes Session
   * rows first tells this listener, in the same transaction, so no way of ending a session can
   * forget the clients. oidc-provider's own sign-out (end_session) tells them itself.
   */
  onSessionsEnded(listener: SessionsEnded): void {
    this.#sessionsEnded = listener;
  }

  adapter(model: string): Adapter {
    const revokeGrant = (grantId: string) => this.revokeGrants(this.#db, [grantId]);
    if (this.#redis && MODELS_IN_REDIS.has(model)) return this.#redis.adapter(model, revokeGrant);
    return new ArtifactAdapter(this.#db, model, revokeGrant, this.#batching);
  }

  /** The grants and everything issued under them; `db` may be the caller's transaction. */
  async revokeGrants(db: Kysely<Database>, grantIds: string[]): Promise<void> {
    await revokeGrants(db, grantIds);
    for (const grantId of grantIds) await this.#redis?.revokeGrant(grantId);
  }

  /**
   * Everything an account holds. Redis keys go at once, before the caller's transaction commits:
   * should it roll back, the customer signs in again, which is the safe way to be wrong.
   */
  async revokeAccount(db: Kysely<Database>, accountId: string): Promise<void> {
    await this.#announceEnd(db, { accountId });
    await revokeAccountArtifacts(db, accountId);
    await this.#redis?.revokeAccount(accountId);
  }

  /** One browser session's row, in the caller's transaction (its grants go through `revokeGrants`). */
  async endSession(db: Kysely<Database>, id: string): Promise<void> {
    await this.#announceEnd(db, { id });
    await deleteSession(db, id);
  }

  /** Everything the customer holds, here and in Redis (their half-way sign-in steps are InteractionFlowStore's to forget). */
  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await this.#announceEnd(trx, { accountId: customer.id });
    await deleteAccountArtifacts(trx, customer.id);
    await this.#redis?.revokeAccount(customer.id);
  }

  /** The live sessions about to be deleted: each client that used one is told (sessions stay in the database, never in Redis). */
  async #announceEnd(db: Kysely<Database>, which: { accountId: string } | { id: string }, now = Date.now()): Promise<void> {
    if (!this.#sessionsEnded) return;
    let query = db
      .selectFrom('oidc_artifacts')
      .select('payload')
      .where('model', '=', 'Session')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    query = 'id' in which ? query.where('id', '=', which.id) : query.where('account_id', '=', which.accountId);
    const notices = (await query.execute()).flatMap((row) => noticesOfSession(row.payload));
    if (notices.length > 0) await this.#sessionsEnded(db, notices);
  }
}
