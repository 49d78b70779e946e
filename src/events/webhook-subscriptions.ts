import type { Kysely, Transaction } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { notFound } from '../errors/domain-error.ts';
import type { OutboundUrlCheck } from '../outbound/outbound-url-check.ts';
import type { Database, WebhookSubscriptionsTable } from '../store/schema.ts';
import { generateWebhookSecret } from './webhook-signature.ts';

export interface Subscription {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  owner: string | null;
  createdAt: number;
}

/** Webhook subscriptions; the signing secret is generated here, shown once and sealed at rest. */
export class WebhookSubscriptions {
  readonly #db: Kysely<Database>;
  readonly #key: SealingKeys;
  readonly #checkUrl: OutboundUrlCheck;

  /** `checkUrl`: the receiver's URL is checked before it is stored (https and public in production). */
  constructor(db: Kysely<Database>, key: SealingKeys, checkUrl: OutboundUrlCheck = async () => {}) {
    this.#db = db;
    this.#key = key;
    this.#checkUrl = checkUrl;
  }

  /** `owner`: the operator making it, or null for an admin. */
  async create(input: { url: string; event_types: string[]; description?: string | undefined }, owner: string | null, now = Date.now()): Promise<Subscription & { secret: string }> {
    await this.#checkUrl(input.url, 'url');
    const id = `whk_${crypto.randomUUID()}`;
    const secret = generateWebhookSecret();
    await this.#db
      .insertInto('webhook_subscriptions')
      .values({ id, url: input.url, event_types: JSON.stringify(input.event_types), secret: seal(this.#key, secret, `webhook:${id}`), description: input.description ?? null, owner, created_at: now })
      .execute();
    return { id, url: input.url, eventTypes: input.event_types, description: input.description ?? null, owner, createdAt: now, secret };
  }

  /** `owner` undefined: every subscription (an admin); otherwise only that operator's. */
  async list(owner?: string): Promise<Subscription[]> {
    let query = this.#db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at');
    if (owner !== undefined) query = query.where('owner', '=', owner);
    return (await query.execute()).map(present);
  }

  async get(id: string, owner?: string): Promise<Subscription> {
    const row = await this.#db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (owner !== undefined && row.owner !== owner)) throw notFound('webhook subscription');
    return present(row);
  }

  /** The URL and the opened secret, for the worker. */
  async target(id: string): Promise<{ url: string; secret: string } | undefined> {
    const row = await this.#db.selectFrom('webhook_subscriptions').select(['url', 'secret']).where('id', '=', id).executeTakeFirst();
    return row && { url: row.url, secret: open(this.#key, row.secret, `webhook:${id}`) };
  }

  async remove(id: string, owner?: string): Promise<void> {
    let query = this.#db.deleteFrom('webhook_subscriptions').where('id', '=', id);
    if (owner !== undefined) query = query.where('owner', '=', owner);
    const result = await query.executeTakeFirst();
    if (Number(result.numDeletedRows) !== 1) throw notFound('webhook subscription');
  }
}

function present(row: WebhookSubscriptionsTable): Subscription {
  return { id: row.id, url: row.url, eventTypes: JSON.parse(row.event_types) as string[], description: row.description, owner: row.owner, createdAt: row.created_at };
}

/** `secret rotate` (ops/secret-rotation.ts): a webhook subscription's secret sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealWebhookSecret(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('webhook_subscriptions').set({ secret: sealed }).where('id', '=', id).where('secret', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
