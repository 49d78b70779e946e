import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface TimelineEntry {
  seq: number;
  at: number;
  action: string;
  actor: { type: string; id: string | null };
  details: Record<string, unknown>;
}

export interface ChannelActivity {
  clientId: string;
  lastSignInAt: number;
  signIns: number;
}

/** How many of a customer's latest sign-ins the channel overview reads. */
const ACTIVITY_WINDOW = 1000;

/**
 * One customer's history across every channel, read from the audit log (which records it in the
 * same transaction as each change): sign-ins, profile changes, consents, identities, privacy
 * requests, customer-service verifications; newest first, in pages. Entries hold ids and outcomes,
 * never passwords, codes or tokens.
 */
export class CustomerTimeline {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async page(customerId: string, options: { limit: number; before?: number | undefined }): Promise<{ entries: TimelineEntry[]; next: number | null }> {
    let query = this.#db
      .selectFrom('audit_log')
      .select(['seq', 'at', 'action', 'actor_type', 'actor_id', 'details'])
      .where('subject_type', '=', 'customer')
      .where('subject_id', '=', customerId)
      .orderBy('seq', 'desc')
      .limit(options.limit + 1);
    if (options.before !== undefined) query = query.where('seq', '<', options.before);
    const rows = await query.execute();
    const entries = rows.slice(0, options.limit).map((row) => ({
      seq: Number(row.seq),
      at: Number(row.at),
      action: row.action,
      actor: { type: row.actor_type, id: row.actor_id },
      details: JSON.parse(row.details) as Record<string, unknown>,
    }));
    return { entries, next: rows.length > options.limit ? entries.at(-1)!.seq : null };
  }

  /** The last sign-in per client (channel), from the customer's latest sign-ins. */
  async channels(customerId: string): Promise<ChannelActivity[]> {
    const rows = await this.#db
      .selectFrom('audit_log')
      .select(['at', 'details'])
      .where('subject_type', '=', 'customer')
      .where('subject_id', '=', customerId)
      .where('action', '=', 'sign_in.succeeded')
      .orderBy('seq', 'desc')
      .limit(ACTIVITY_WINDOW)
      .execute();
    const channels = new Map<string, ChannelActivity>();
    for (const row of rows) {
      const clientId = (JSON.parse(row.details) as { client_id?: unknown }).client_id;
      if (typeof clientId !== 'string') continue;
      const seen = channels.get(clientId);
      if (seen) seen.signIns += 1;
      else channels.set(clientId, { clientId, lastSignInAt: Number(row.at), signIns: 1 });
    }
    return [...channels.values()];
  }
}
