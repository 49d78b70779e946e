import type { Compilable, Kysely } from 'kysely';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { GroupCommit } from '../store/group-commit.ts';
import type { Database } from '../store/schema.ts';
import type { ArtifactRow, ArtifactUpserts } from './artifact-upserts.ts';
import { deleteFlowsOfCustomer } from './interaction-flows.ts';

/**
 * How the adapter's writes are gathered: on SQLite every write through the store's group commit,
 * on PostgreSQL the upserts into one multi-row statement per turn of the event loop.
 */
export type ArtifactBatching = { groupCommit: GroupCommit } | { upserts: ArtifactUpserts };

/**
 * oidc-provider storage for every model but Client (sessions, interactions, codes, tokens,
 * grants, …), one table keyed by (model, id). Expired rows are invisible to `find` and deleted
 * by `deleteExpiredArtifacts`.
 *
 * With a group commit (SQLite), the writes (upsert, consume, destroy, revokeByGrantId) go through
 * it: committed in one transaction with the other writes of the same turn of the event loop, each
 * answered after that commit. With batched upserts (PostgreSQL), upserts are gathered likewise and
 * the other writes of the model wait for those queued before them. A read of the model waits for
 * the model's writes still queued, so an upsert followed at once by a find, even from another
 * request, finds what was written.
 */
export class ArtifactAdapter implements Adapter {
  readonly #db: Kysely<Database>;
  readonly #model: string;
  readonly #revokeGrant: (grantId: string) => Promise<void>;
  readonly #batching: ArtifactBatching | undefined;

  /** `revokeGrant` ends a reused artifact's grant; by default in this database only. */
  constructor(
    db: Kysely<Database>,
    model: string,
    revokeGrant: (grantId: string) => Promise<void> = (grantId) => revokeGrants(db, [grantId]),
    batching?: ArtifactBatching,
  ) {
    this.#db = db;
    this.#model = model;
    this.#revokeGrant = revokeGrant;
    this.#batching = batching;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const row = {
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      account_id: accountOf(payload),
      uid: payload.uid ?? null,
      user_code: payload.userCode ?? null,
      expires_at: expiresIn ? Date.now() + expiresIn * 1000 : null,
    };
    if (this.#batching && 'upserts' in this.#batching) return this.#batching.upserts.upsert({ model: this.#model, id, consumed_at: null, ...row });
    await this.#write(
      this.#db
        .insertInto('oidc_artifacts')
        .values({ model: this.#model, id, consumed_at: null, ...row })
        .onConflict((conflict) => conflict.columns(['model', 'id']).doUpdateSet(row)),
    );
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('user_code', userCode);
  }

  /**
   * Single-use artifacts are consumed atomically: of two concurrent redemptions only one updates
   * the row. The other is treated as the reuse oidc-provider detects when they come one after the
   * other (RFC 9700 §4.14): the whole grant is revoked, the winner's tokens included.
   */
  async consume(id: string): Promise<void> {
    const updated = await this.#write(
      this.#db.updateTable('oidc_artifacts').set({ consumed_at: Date.now() }).where('model', '=', this.#model).where('id', '=', id).where('consumed_at', 'is', null),
    );
    if (updated === 1) return;
    if (this.#model === 'PushedAuthorizationRequest') throw new errors.InvalidRequestUri('request_uri was already used');
    const row = await this.#db
      .selectFrom('oidc_artifacts')
      .select('grant_id')
      .where('model', '=', this.#model)
      .where('id', '=', id)
      .executeTakeFirst();
    if (row?.grant_id) await this.#revokeGrant(row.grant_id);
    throw new errors.InvalidGrant(`${this.#model} was already used`);
  }

  async destroy(id: string): Promise<void> {
    await this.#write(this.#db.deleteFrom('oidc_artifacts').where('model', '=', this.#model).where('id', '=', id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#write(this.#db.deleteFrom('oidc_artifacts').where('model', '=', this.#model).where('grant_id', '=', grantId));
  }

  /**
   * Runs a write, through the group commit when there is one, otherwise after the model's upserts
   * still queued: the number of rows it changed, once committed.
   */
  async #write(query: Compilable): Promise<number> {
    const compiled = query.compile();
    if (this.#batching && 'groupCommit' in this.#batching) return this.#batching.groupCommit.run(this.#model, compiled);
    await this.#settled();
    const result = await this.#db.executeQuery(compiled);
    return Number(result.numAffectedRows ?? 0);
  }

  /** Resolves once the model's writes queued so far have committed or failed. */
  #settled(): Promise<void> {
    if (!this.#batching) return Promise.resolve();
    return 'groupCommit' in this.#batching ? this.#batching.groupCommit.settled(this.#model) : this.#batching.upserts.settled(this.#model);
  }

  async #findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    if (!storableKey(value)) return undefined;
    await this.#settled();
    const row = await this.#db
      .selectFrom('oidc_artifacts')
      .select(['payload', 'expires_at', 'consumed_at'])
      .where('model', '=', this.#model)
      .where(column, '=', value)
      .executeTakeFirst();
    if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (row.consumed_at !== null) payload.consumed = Math.floor(row.consumed_at / 1000);
    return payload;
  }
}

/** Several artifacts in one multi-row upsert (ArtifactUpserts on PostgreSQL); each (model, id) at most once. */
export async function upsertArtifacts(db: Kysely<Database>, rows: ArtifactRow[]): Promise<void> {
  await db
    .insertInto('oidc_artifacts')
    .values(rows)
    .onConflict((conflict) =>
      conflict.columns(['model', 'id']).doUpdateSet({
        payload: (eb) => eb.ref('excluded.payload'),
        grant_id: (eb) => eb.ref('excluded.grant_id'),
        account_id: (eb) => eb.ref('excluded.account_id'),
        uid: (eb) => eb.ref('excluded.uid'),
        user_code: (eb) => eb.ref('excluded.user_code'),
        expires_at: (eb) => eb.ref('excluded.expires_at'),
      }),
    )
    .execute();
}

/**
 * Identifiers come from requests (a token, a code, a client_id). PostgreSQL refuses text with NUL
 * and no real identifier is that long or holds it, so such values are simply not found.
 */
export function storableKey(value: string): boolean {
  return value.length <= 512 && !value.includes('\0');
}

/** The grants and every artifact issued under them. */
export async function revokeGrants(db: Kysely<Database>, grantIds: string[]): Promise<void> {
  if (grantIds.length === 0) return;
  await db
    .deleteFrom('oidc_artifacts')
    .where((eb) => eb.or([eb('grant_id', 'in', grantIds), eb.and([eb('model', '=', 'Grant'), eb('id', 'in', grantIds)])]))
    .execute();
}

/** Sessions, grants and tokens carry `accountId`; an interaction carries it in its session. */
export function accountOf(payload: AdapterPayload): string | null {
  const session = (payload as { session?: { accountId?: unknown } }).session;
  const accountId = payload.accountId ?? session?.accountId;
  return typeof accountId === 'string' ? accountId : null;
}

/**
 * Ends everything an account holds: sessions, interactions, grants, codes and tokens, and any
 * hosted sign-in step that is half-way for it (a second factor being set up, a reset allowed).
 */
export async function revokeAccountArtifacts(db: Kysely<Database>, accountId: string): Promise<void> {
  await deleteAccountArtifacts(db, accountId);
  await deleteFlowsOfCustomer(db, accountId);
}

/** Every artifact stored in the database for the account: sessions, grants, codes and tokens. */
export async function deleteAccountArtifacts(db: Kysely<Database>, accountId: string): Promise<void> {
  await db.deleteFrom('oidc_artifacts').where('account_id', '=', accountId).execute();
}

/** One Session row (a customer ending a browser session); its grants are revoked by the caller. */
export async function deleteSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('oidc_artifacts').where('model', '=', 'Session').where('id', '=', id).execute();
}

export async function deleteExpiredArtifacts(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db.deleteFrom('oidc_artifacts').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
