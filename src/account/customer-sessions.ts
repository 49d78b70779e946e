import type { Kysely, Transaction } from 'kysely';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import { customerActor, type AuditLog } from '../events/audit-log.ts';
import type { ArtifactStorage } from '../oidc/artifact-storage.ts';
import type { Database } from '../store/schema.ts';

export interface CustomerSession {
  uid: string;
  userAgent: string | null;
  signedInAt: number;
  lastUsedAt: number;
  methods: string[];
}

interface SessionPayload {
  uid: string;
  accountId?: string;
  loginTs?: number;
  amr?: string[];
  authorizations?: Record<string, { grantId?: string }>;
}

/**
 * A customer's browser sessions as they see them under /account/security: oidc-provider's Session
 * rows (one per browser), with the device and last use recorded beside them. Ending one removes
 * the session and revokes every grant given in it, so its refresh tokens die too.
 */
export class CustomerSessions implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'session_devices',
      columns: { session_uid: 'plain', account_id: 'sessions', user_agent: 'sessions', created_at: 'plain', last_used_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'sessions', reason: 'each signed-in device by its browser (user agent) and dates; the session id is the protocol\'s secret' },
    },
  ];
  /** Only erasure forgets the device list; an operator's deletion leaves it, as it always has. */
  readonly erasureOnly = true;
  readonly #db: Kysely<Database>;
  readonly #audit: AuditLog;
  readonly #artifacts: ArtifactStorage;

  /** Sessions are read from the database (`artifacts` keeps them there); their grants may reach Redis. */
  constructor(db: Kysely<Database>, audit: AuditLog, artifacts: ArtifactStorage) {
    this.#db = db;
    this.#audit = audit;
    this.#artifacts = artifacts;
  }

  /** Records that a session was used (an authorization succeeded in it). */
  async touch(sessionUid: string, accountId: string, userAgent: string, now = Date.now()): Promise<void> {
    const agent = userAgent.slice(0, 300);
    await this.#db
      .insertInto('session_devices')
      .values({ session_uid: sessionUid, account_id: accountId, user_agent: agent, created_at: now, last_used_at: now })
      .onConflict((conflict) => conflict.column('session_uid').doUpdateSet({ account_id: accountId, user_agent: agent, last_used_at: now }))
      .execute();
  }

  async list(accountId: string, now = Date.now()): Promise<CustomerSession[]> {
    const rows = await this.#db
      .selectFrom('oidc_artifacts as s')
      .leftJoin('session_devices as d', 'd.session_uid', 's.uid')
      .select(['s.payload', 'd.user_agent', 'd.last_used_at'])
      .where('s.model', '=', 'Session')
      .where('s.account_id', '=', accountId)
      .where((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', now)]))
      .execute();
    return rows
      .map((row) => {
        const payload = JSON.parse(row.payload) as SessionPayload;
        const signedInAt = (payload.loginTs ?? 0) * 1000;
        return { uid: payload.uid, userAgent: row.user_agent, signedInAt, lastUsedAt: row.last_used_at ?? signedInAt, methods: payload.amr ?? [] };
      })
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  }

  /** Ends one session of the account (never another account's), with the grants given in it. */
  async end(accountId: string, sessionUid: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('oidc_artifacts')
        .select(['id', 'payload'])
        .where('model', '=', 'Session')
        .where('uid', '=', sessionUid)
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      if (!row) return false;
      const payload = JSON.parse(row.payload) as SessionPayload;
      const grantIds = Object.values(payload.authorizations ?? {})
        .map((authorization) => authorization.grantId)
        .filter((grantId): grantId is string => typeof grantId === 'string');
      await this.#artifacts.revokeGrants(trx, grantIds);
      await this.#artifacts.endSession(trx, row.id);
      await trx.deleteFrom('session_devices').where('session_uid', '=', sessionUid).execute();
      await this.#audit.append(trx, { action: 'session.ended', actor: customerActor(accountId), subject: { type: 'customer', id: accountId }, details: { session_uid: sessionUid, grants_revoked: grantIds.length } });
      return true;
    });
  }

  /** Ends every session of the account but `keepUid` (the one the customer is using). */
  async endOthers(accountId: string, keepUid: string): Promise<number> {
    let ended = 0;
    for (const session of await this.list(accountId)) {
      if (session.uid !== keepUid && (await this.end(accountId, session.uid))) ended++;
    }
    return ended;
  }

  async deleteStale(olderThan: number): Promise<void> {
    await this.#db.deleteFrom('session_devices').where('last_used_at', '<', olderThan).execute();
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('session_devices').select(['user_agent', 'created_at', 'last_used_at']).where('account_id', '=', customer.id).orderBy('created_at').orderBy('session_uid').execute();
    return { sessions: rows.map((row) => ({ device: row.user_agent, created_at: isoTime(row.created_at), last_used_at: isoTime(row.last_used_at) })) };
  }

  /** The device list (user agents) of the customer's sessions. */
  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('session_devices').where('account_id', '=', customer.id).execute();
  }
}

const BROWSERS: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/(Chrome|Chromium|CriOS)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/iPhone/, 'iPhone'],
  [/iPad/, 'iPad'],
  [/Android/, 'Android'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** "Firefox on Windows", "Safari on iPhone": enough to recognise a device, nothing more. */
export function describeDevice(userAgent: string | null): { browser: string; system: string } {
  const ua = userAgent ?? '';
  return {
    browser: BROWSERS.find(([pattern]) => pattern.test(ua))?.[1] ?? '',
    system: SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1] ?? '',
  };
}
