import type { Kysely, Transaction } from 'kysely';
import type Provider from 'oidc-provider';
import type { ClientStore } from '../clients/client-store.ts';
import { DeliveryError } from '../messaging/delivery-error.ts';
import type { Outbox } from '../messaging/outbox.ts';
import type { Database } from '../store/schema.ts';

/**
 * OpenID Connect Back-Channel Logout 1.0. Whenever a session ends (the customer signs out, ends a
 * session at /account/security, a password is reset, an account is disabled, erased or deleted),
 * every client of the session that registered a `backchannel_logout_uri` is told, by a message
 * written to the outbox in the transaction that ended the session. The worker builds the logout
 * token when it delivers it, signed with the keys current then, and retries with backoff.
 */
export const BACKCHANNEL_LOGOUT_TOPIC = 'oidc.backchannel_logout';

/** How long a client's logout endpoint has to answer before the attempt counts as failed. */
export const BACKCHANNEL_LOGOUT_TIMEOUT_MS = 5000;

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** One client to tell that one session of an account ended. No secret: ids only. */
export interface LogoutNotice {
  client_id: string;
  account_id: string;
  /** The `sid` the client saw in its ID tokens for this session. */
  sid: string | null;
}

type Executor = Kysely<Database> | Transaction<Database>;

/** Writes one logout message outside any transaction (oidc-provider's end_session). */
export type LogoutEnqueuer = (notice: LogoutNotice) => Promise<void>;

/** The clients a stored Session payload was used by, each with the sid it was given. */
export function noticesOfSession(payloadJson: string): LogoutNotice[] {
  const payload = JSON.parse(payloadJson) as { accountId?: unknown; authorizations?: Record<string, { sid?: unknown }> };
  if (typeof payload.accountId !== 'string') return [];
  const accountId = payload.accountId;
  return Object.entries(payload.authorizations ?? {}).map(([clientId, authorization]) => ({
    client_id: clientId,
    account_id: accountId,
    sid: typeof authorization?.sid === 'string' ? authorization.sid : null,
  }));
}

/** Writes logout messages to the outbox, only for clients that registered a back-channel logout URI. */
export class BackchannelLogouts {
  readonly #outbox: Outbox;
  readonly #clients: ClientStore;

  constructor(outbox: Outbox, clients: ClientStore) {
    this.#outbox = outbox;
    this.#clients = clients;
  }

  /** In the caller's transaction, so the messages exist exactly when the sessions ended. */
  async enqueue(db: Executor, notices: LogoutNotice[]): Promise<void> {
    for (const notice of notices) {
      // Read in the caller's transaction: SQLite has one connection, held by that transaction.
      const client = await this.#clients.find(notice.client_id, db);
      if (!client?.metadata.backchannel_logout_uri) continue;
      await this.#outbox.enqueue(db, { topic: BACKCHANNEL_LOGOUT_TOPIC, payload: notice });
    }
  }
}

/**
 * oidc-provider's end_session POSTs the logout tokens itself and waits for every client before it
 * answers the customer. Client#backchannelLogout is the seam (as compareClientSecret is for hashed
 * secrets): here it only writes the outbox message, so the sign-out page never waits for a client.
 */
export function teachBackchannelLogoutThroughOutbox(provider: Provider, enqueue: LogoutEnqueuer): void {
  const proto = provider.Client.prototype as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> };
  proto.backchannelLogout = function enqueueLogout(this: { clientId: string }, sub: string, sid: string) {
    return enqueue({ client_id: this.clientId, account_id: sub, sid: sid ?? null });
  };
}

interface LogoutClient {
  clientId: string;
  backchannelLogoutUri?: string;
  backchannelLogoutSessionRequired?: boolean;
}

export interface LogoutDeliveryDeps {
  /** The provider of the moment: its keys sign the token. */
  provider: () => Provider;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  log: { info(details: object, message: string): void };
  timeoutMs?: number;
}

/**
 * The outbox handler: builds the logout token as oidc-provider does (an ID token with the
 * back-channel logout event, a jti, the sid when the client asked for it, no nonce, `typ:
 * logout+jwt`) and POSTs it. 200 and 204 are success; anything else is retried. A client deleted
 * meanwhile, or that no longer registers a URI, is not tried again.
 */
export function backchannelLogoutDelivery(deps: LogoutDeliveryDeps): (notice: LogoutNotice) => Promise<void> {
  const timeoutMs = deps.timeoutMs ?? BACKCHANNEL_LOGOUT_TIMEOUT_MS;
  return async (notice) => {
    const provider = deps.provider();
    const client = (await provider.Client.find(notice.client_id)) as unknown as LogoutClient | undefined;
    if (!client?.backchannelLogoutUri) {
      throw new DeliveryError(`client ${notice.client_id} no longer registers a back-channel logout URI`, { provider: 'backchannel-logout', retryable: false });
    }
    const token = await logoutToken(provider, client, notice);
    let response: Response;
    try {
      response = await deps.fetch(client.backchannelLogoutUri, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw DeliveryError.forNoAnswer(`back-channel logout of ${notice.client_id}`, error, timeoutMs);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status !== 200 && response.status !== 204) {
      throw new DeliveryError(`back-channel logout of ${notice.client_id} answered HTTP ${response.status}`, { provider: 'backchannel-logout', retryable: true, status: response.status });
    }
    deps.log.info({ client_id: notice.client_id, status: response.status }, 'back-channel logout delivered');
  };
}

async function logoutToken(provider: Provider, client: LogoutClient, notice: LogoutNotice): Promise<string> {
  const token = new provider.IdToken({ sub: notice.account_id }, { client: client as never, ctx: undefined as never }) as unknown as {
    mask: object;
    set(key: string, value: unknown): void;
    issue(options: { use: 'logout' }): Promise<string>;
  };
  token.mask = { sub: null };
  token.set('events', { [LOGOUT_EVENT]: {} });
  token.set('jti', crypto.randomUUID());
  if (client.backchannelLogoutSessionRequired && notice.sid) token.set('sid', notice.sid);
  return token.issue({ use: 'logout' });
}
