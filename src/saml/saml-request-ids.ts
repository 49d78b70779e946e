import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * The AuthnRequest IDs answered, per service provider, kept until a request that old would be
 * refused anyway: a second request with the same ID is a replay. The insert is the check, so two
 * nodes racing with one request cannot both win.
 */
export class SamlRequestIds {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** True the first time this ID is seen for this service provider (until `expiresAt`). */
  async firstUse(serviceProvider: string, requestId: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    await this.#db.deleteFrom('saml_request_ids').where('expires_at', '<', now).execute();
    const result = await this.#db
      .insertInto('saml_request_ids')
      .values({ service_provider: serviceProvider, request_id: requestId, expires_at: expiresAt })
      .onConflict((conflict) => conflict.columns(['service_provider', 'request_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }
}
