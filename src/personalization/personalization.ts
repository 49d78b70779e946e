import type { Kysely, Transaction } from 'kysely';
import type { ConsentLedger, DecisionTaken } from '../consent/consent-ledger.ts';
import type { CustomerReferences } from '../customers/customer-references.ts';
import { conflict, DomainError } from '../errors/domain-error.ts';
import type { Database } from '../store/schema.ts';
import type { SignalBatch, SignalInput } from './personalization.schemas.ts';
import { BUILTIN_SIGNAL_TYPES } from './segment-rules.ts';
import type { Membership, Segments } from './segments.ts';
import type { NewSignal, Signals } from './signals.ts';

/** How far ahead of the server's clock an event may be dated (clocks differ a little). */
const FUTURE_SLACK_MS = 60_000;
const DAY_MS = 24 * 3600_000;

export interface IngestResult {
  accepted: number;
  duplicate: number;
  dropped: { no_consent: number; past_retention: number };
}

export interface PersonalizationSettings {
  /** The consent purpose that gates every signal in and out (default `profiling`). */
  purpose: string;
  /** How long signals are kept, in days (default 365). */
  retentionDays: number;
}

/**
 * Personalization the customer agreed to: signals in (only for customers whose grant of the gating
 * purpose counts; the rest are dropped and counted, their content never kept or logged), segments
 * kept up to date, and signals out (segments of a customer, the `segments` claim) only while the
 * grant counts. A withdrawal deletes the customer's signals and memberships in its own transaction.
 */
export class Personalization {
  readonly signals: Signals;
  readonly segments: Segments;
  readonly settings: PersonalizationSettings;
  readonly #db: Kysely<Database>;
  readonly #ledger: ConsentLedger;
  readonly #references: CustomerReferences;

  constructor(deps: { db: Kysely<Database>; signals: Signals; segments: Segments; ledger: ConsentLedger; references: CustomerReferences; settings: PersonalizationSettings }) {
    this.#db = deps.db;
    this.signals = deps.signals;
    this.segments = deps.segments;
    this.settings = deps.settings;
    this.#ledger = deps.ledger;
    this.#references = deps.references;
    deps.ledger.onDecision((trx, taken, now) => this.#decided(trx, taken, now));
  }

  /**
   * A batch from one system: every event is checked first (type, time, customer), so a bad one
   * refuses the whole batch with nothing written; then the kept ones and the memberships they
   * change are written in one transaction — with `alongside`, when given (a store's receipt
   * records the order in it, whether or not the event is kept).
   */
  async ingest(batch: SignalBatch, now = Date.now(), alongside?: (trx: Transaction<Database>) => Promise<void>): Promise<IngestResult> {
    await this.#checkSystem(batch.system);
    await this.#checkTypes(batch.events, now);
    const customers = await this.#resolve(batch.events);
    const result: IngestResult = { accepted: 0, duplicate: 0, dropped: { no_consent: 0, past_retention: 0 } };
    const fresh: NewSignal[] = [];
    const seen = new Set<string>();
    batch.events.forEach((event, index) => {
      const occurredAt = Date.parse(event.occurred_at);
      if (seen.has(event.id)) result.duplicate += 1;
      else if (occurredAt <= now - this.settings.retentionDays * DAY_MS) result.dropped.past_retention += 1;
      else fresh.push({ eventId: event.id, customerId: customers[index]!, type: event.type, occurredAt, channel: event.channel ?? null, brand: event.brand ?? null, items: event.items });
      seen.add(event.id);
    });
    if (fresh.length === 0 && !alongside) return result;
    const busy = await this.#db.transaction().execute(async (trx) => {
      await alongside?.(trx);
      if (fresh.length === 0) return [];
      // The customers are held first (PostgreSQL row locks), then their grant read: a withdrawal
      // either committed before (these are dropped) or waits for this commit and deletes them.
      const ids = [...new Set(fresh.map((signal) => signal.customerId))];
      const claim = await this.segments.claimForIngest(trx, ids);
      const granted = await this.#ledger.grantedAmong(trx, this.settings.purpose, ids);
      const keep = fresh.filter((signal) => granted.has(signal.customerId));
      result.dropped.no_consent += fresh.length - keep.length;
      const { kept, customers: changed } = await this.signals.keep(trx, batch.system, keep, now);
      result.accepted = kept;
      result.duplicate += keep.length - kept;
      return this.segments.refreshClaimed(trx, claim, [...changed], now, 'signal', changed);
    });
    // Customers another transaction was working on: worked out now that these signals are committed, before the answer.
    if (busy.length > 0) await this.#db.transaction().execute((trx) => this.segments.refresh(trx, busy, now, 'signal'));
    return result;
  }

  /** Something a rule may read changed for the customer (attributes, in their transaction; a first visit at a brand): their memberships are worked out again. */
  async profileChanged(customerId: string, now: number, trx?: Transaction<Database>): Promise<void> {
    if (trx) return this.segments.refresh(trx, [customerId], now, 'profile');
    await this.#db.transaction().execute((own) => this.segments.refresh(own, [customerId], now, 'profile'));
  }

  /** The customer's segments, while the gating grant counts (otherwise none). */
  segmentsOf(customerId: string): Promise<Membership[]> {
    return this.segments.of(customerId);
  }

  /** The `segments` claim: the customer's segments that the client's metadata lists. */
  async claim(customerId: string, allowed: readonly string[]): Promise<string[]> {
    if (allowed.length === 0) return [];
    return (await this.segments.of(customerId)).map((membership) => membership.segment).filter((segment) => allowed.includes(segment));
  }

  /** The cleanup job: signals past the retention deleted, memberships a window changed looked at again, unbuilt segments built. */
  async maintain(now = Date.now()): Promise<void> {
    await this.signals.deleteOlderThan(now - this.settings.retentionDays * DAY_MS);
    await this.segments.recheckDue(now);
    await this.segments.build(now);
  }

  /** In the decision's transaction: a withdrawal (or decline) of the gating purpose deletes what was kept under it; any other decision may change a rule on consent. */
  async #decided(trx: Transaction<Database>, taken: DecisionTaken, now: number): Promise<void> {
    if (taken.purpose === this.settings.purpose && taken.decision !== 'granted') {
      // Held first: a batch about this customer either committed before (its events are deleted here) or waits and finds no grant.
      await this.segments.hold(trx, [taken.customerId]);
      await this.signals.forgetWithin(trx, taken.customerId);
      await this.segments.leaveAll(trx, taken.customerId, now);
      return;
    }
    await this.segments.refresh(trx, [taken.customerId], now, 'consent');
  }

  async #checkSystem(system: string): Promise<void> {
    const mapped = await this.#db.selectFrom('data_systems').select('key').where('key', '=', system).executeTakeFirst();
    if (!mapped) throw conflict('unknown_system', `${system} is not on the data map: add it there first`);
  }

  async #checkTypes(events: readonly SignalInput[], now: number): Promise<void> {
    const types = new Set<string>(BUILTIN_SIGNAL_TYPES);
    for (const row of await this.#db.selectFrom('signal_types').select('key').execute()) types.add(row.key);
    events.forEach((event, index) => {
      if (!types.has(event.type)) throw new DomainError('unknown_event_type', 400, `Event ${index}: ${event.type} is not a declared event type`, { index });
      if (Date.parse(event.occurred_at) > now + FUTURE_SLACK_MS) throw new DomainError('occurred_in_future', 400, `Event ${index} is dated in the future`, { index });
    });
  }

  /** Each event's customer id, by id or by reference; one that names no customer refuses the batch. */
  async #resolve(events: readonly SignalInput[]): Promise<string[]> {
    const byRef = new Map<string, string[]>();
    const ids = new Set<string>();
    for (const event of events) {
      if ('id' in event.customer) ids.add(event.customer.id);
      else {
        const [system, reference] = splitRef(event.customer.ref);
        byRef.set(system, [...(byRef.get(system) ?? []), reference]);
      }
    }
    const resolved = new Map<string, string>();
    for (const [system, references] of byRef) for (const [reference, id] of await this.#references.customersWith(system, [...new Set(references)])) resolved.set(`${system}:${reference}`, id);
    const known = new Set<string>();
    const idList = [...ids];
    for (let offset = 0; offset < idList.length; offset += 500) {
      for (const row of await this.#db.selectFrom('customers').select('id').where('id', 'in', idList.slice(offset, offset + 500)).execute()) known.add(row.id);
    }
    return events.map((event, index) => {
      const id = 'id' in event.customer ? (known.has(event.customer.id) ? event.customer.id : undefined) : resolved.get(event.customer.ref);
      if (!id) throw new DomainError('unknown_customer', 422, `Event ${index} names no customer Portvakt knows`, { index });
      return id;
    });
  }
}

/** `webshop:W-1042` → ['webshop', 'W-1042'] (the reference may itself hold colons). */
export function splitRef(ref: string): [string, string] {
  const at = ref.indexOf(':');
  return [ref.slice(0, at), ref.slice(at + 1)];
}
