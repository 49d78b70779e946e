import type { Kysely, Transaction } from 'kysely';
import type { CustomerDataOwner, ForgottenCustomer, TableDeclaration } from '../customers/customer-data.ts';
import type { Database } from '../store/schema.ts';

/** Methods that proved the customer, as they go into the `amr` claim (RFC 8176; `fed`: an upstream identity provider, as several IdPs write it). */
export type AuthMethod = 'pwd' | 'email' | 'sms' | 'otp' | 'hwk' | 'mfa' | 'fed';

/**
 * Where a hosted sign-in stands, beyond what oidc-provider's interaction knows. A new behaviour is
 * a new state (Kratos' flows), never a flag on an old one.
 */
export type FlowState =
  /** A code went to this address; entering it signs in (or registers) the holder. */
  | { state: 'email_code_sent'; email: string }
  /** A code went to this phone; entering it signs in its verified owner. */
  | { state: 'phone_code_sent'; phone: string }
  /** A recovery code went to this address (whether or not it has an account). */
  | { state: 'reset_code_sent'; email: string }
  /** The recovery code was right: the customer may choose a new password. */
  | { state: 'reset_password'; customerId: string; email: string }
  /** The first factor is proven; a second one is needed before the sign-in completes. */
  | { state: 'second_factor'; customerId: string; amr: AuthMethod[] }
  /** The client asked for MFA and the customer has none: set up an authenticator app now. */
  | { state: 'enrol_second_factor'; customerId: string; amr: AuthMethod[] }
  /** A new account: offer a passkey for next time before the sign-in completes. */
  | { state: 'offer_passkey'; customerId: string; amr: AuthMethod[] }
  /** Signed in; purposes the customer was never asked (or whose new version asks again) come first. */
  | { state: 'consent_due'; customerId: string; amr: AuthMethod[]; acr: string | null }
  /** Signed in; attributes the client asks for (or asked at sign-up) that the customer never gave come first. */
  | { state: 'profile_due'; customerId: string; amr: AuthMethod[]; acr: string | null; keys: string[] }
  /** Signed in at a brand for the first time, having used the group account elsewhere: told once. */
  | { state: 'brand_notice'; customerId: string; amr: AuthMethod[]; acr: string | null }
  /** The authenticator was set up; the recovery codes were shown once; continuing completes the sign-in. */
  | { state: 'second_factor_enrolled'; customerId: string; amr: AuthMethod[] }
  /** Sent to an upstream provider: what its answer must match (PKCE verifier, state, nonce); a posted answer (form_post) is held here. */
  | { state: 'upstream_sent'; connection: string; verifier: string; returnState: string; nonce: string; answer?: Record<string, string> }
  /**
   * An administrator's test of a connection, not a sign-in (kept under `connection-test:{id}`; it
   * signs nobody in and creates nothing): what the upstream's answer must match, who started it,
   * the language of the page the browser comes back to, and the answer once it came.
   */
  | { state: 'connection_test'; connection: string; operator: string; locale: 'sv' | 'en'; verifier: string; returnState: string; nonce: string; answer?: Record<string, string> }
  /** The upstream vouched for someone new: their details, prefilled, wait for the customer to confirm. */
  | { state: 'upstream_confirm'; connection: string; subject: string; email: string; emailVerified: boolean; givenName: string | null; familyName: string | null; locale: string | null }
  /**
   * Kept beside the sign-in's own state (under `{uid}:link`): an upstream identity to link once the
   * customer proves the account with this address by another way (password, passkey, e-mail code).
   */
  | { state: 'upstream_link'; connection: string; subject: string; email: string; vouched: boolean; givenName: string | null; familyName: string | null };

export type FlowStateName = FlowState['state'];

/** Flow rows live as long as the interaction they belong to, then the cleanup timer deletes them. */
export class InteractionFlowStore implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'interaction_flows',
      columns: { uid: 'plain', state: 'plain', customer_id: 'sessions', data: 'sessions', expires_at: 'plain', updated_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'omitted', reason: 'a sign-in under way, deleted when its interaction ends' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #ttlMs: number;

  constructor(db: Kysely<Database>, ttlMs: number) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  async get(uid: string, now = Date.now()): Promise<FlowState | undefined> {
    const row = await this.#db.selectFrom('interaction_flows').select('data').where('uid', '=', uid).where('expires_at', '>', now).executeTakeFirst();
    return row ? (JSON.parse(row.data) as FlowState) : undefined;
  }

  async set(uid: string, flow: FlowState, now = Date.now()): Promise<void> {
    const values = {
      state: flow.state,
      customer_id: 'customerId' in flow ? flow.customerId : null,
      data: JSON.stringify(flow),
      expires_at: now + this.#ttlMs,
      updated_at: now,
    };
    await this.#db
      .insertInto('interaction_flows')
      .values({ uid, ...values })
      .onConflict((conflict) => conflict.column('uid').doUpdateSet(values))
      .execute();
  }

  /**
   * Moves from one state to the next only if the flow is still in `from`: of two concurrent
   * submissions only one advances (the other sees the flow moved on).
   */
  async advance(uid: string, from: FlowStateName, next: FlowState | null, now = Date.now()): Promise<boolean> {
    if (next === null) {
      const result = await this.#db.deleteFrom('interaction_flows').where('uid', '=', uid).where('state', '=', from).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    }
    const result = await this.#db
      .updateTable('interaction_flows')
      .set({ state: next.state, customer_id: 'customerId' in next ? next.customerId : null, data: JSON.stringify(next), updated_at: now })
      .where('uid', '=', uid)
      .where('state', '=', from)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteExpired(now = Date.now()): Promise<void> {
    await this.#db.deleteFrom('interaction_flows').where('expires_at', '<', now).execute();
  }

  forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    return deleteFlowsOfCustomer(trx, customer.id);
  }
}

/** Every hosted sign-in step half-way for the customer (a second factor being set up, a reset allowed); `db` may be the caller's transaction. */
export async function deleteFlowsOfCustomer(db: Kysely<Database>, customerId: string): Promise<void> {
  await db.deleteFrom('interaction_flows').where('customer_id', '=', customerId).execute();
}
