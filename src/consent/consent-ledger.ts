import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { clientNetwork } from '../credentials/client-address.ts';
import { DomainError, refusalAt } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import type { ConsentRecordsTable, Database } from '../store/schema.ts';
import { ConsentFigures, type Standing } from './consent-figures.ts';
import type { ConsentPurposes, PurposeVersion } from './consent-purposes.ts';
import { isoTime, type CustomerDataHolder, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';

export interface Decision {
  purpose: string;
  version: number;
  decision: ConsentRecordsTable['decision'];
  /** Recorded by a consent-management platform: taken there, at `capturedAt`. */
  source?: DecisionSource;
}

/** Where a platform's decision came from: the platform, its own id of the record, when it was captured there, and its proof (a TCF string or a document hash). */
export interface DecisionSource {
  platform: string;
  recordId: string;
  capturedAt: number;
  proof: string | null;
}

/** What became of a decision: counted (took effect) or kept as history only (an older platform decision that arrived late); a platform record already in the ledger is a duplicate, not stored again (`counted`: as it was when first recorded). */
export interface Recorded {
  counted: boolean;
  duplicate: boolean;
}

/** One decision of a batch: its customer's context and the decision. */
export interface BatchDecision {
  decision: Decision;
  context: DecisionContext;
}

/** A platform's record that decided an audience customer's state. */
export interface AudienceSource {
  customerId: string;
  platform: string;
  recordId: string;
  capturedAt: number;
}

export interface AudiencePage {
  customers: string[];
  next: string | null;
  /** The page's customers whose deciding record came from a platform. */
  sources: AudienceSource[];
}

/** How far in the future a platform's capture time may be (clocks differ a little). */
const CAPTURE_SKEW_MS = 60_000;

export interface DecisionContext {
  customerId: string;
  locale: string;
  channel: ConsentRecordsTable['channel'];
  clientId: string | null;
  actor: { type: 'customer' | 'agent'; id: string | null };
  ip?: string;
  /** Brought by `portvakt import`: the run is audited once, and `consent.*` events go out only when the operator asked (`--publish-events`). */
  imported?: { publish: boolean };
}

/** A decision as it took effect, told to those who keep something under a purpose (personalization) inside the decision's transaction. */
export interface DecisionTaken {
  customerId: string;
  purpose: string;
  decision: ConsentRecordsTable['decision'];
}
export type DecisionListener = (trx: Transaction<Database>, taken: DecisionTaken, now: number) => Promise<void>;

/** Ledger records read per query of an audience page beyond the page size (most customers have one record per purpose), and at most per page. */
const AUDIENCE_BATCH_MARGIN = 100;
const AUDIENCE_SCAN_ROWS = 50_000;

/** Which purposes a sign-in is about: those of the client's brand (and the group's), and any the client asked for. */
export interface PurposeScope {
  brand: string | null;
  requested: string[];
}

/** A purpose is the whole group's (no brand) or one brand's. */
export function appliesTo(purpose: Pick<PurposeVersion, 'brand'>, brand: string | null): boolean {
  return purpose.brand === null || purpose.brand === brand;
}

export interface ConsentState {
  purpose: string;
  state: ConsentRecordsTable['decision'] | 'not_asked';
  /** The version the latest decision was about. */
  version: number | null;
  currentVersion: number;
  decidedAt: number | null;
  /** Granted, and still valid for the current version (a version asking fresh consent voids it). */
  effective: boolean;
}

/**
 * The consent ledger: every decision is a new record (customer, purpose, version, decision, hash of
 * the exact text shown, locale, channel, client, actor, time, hashed network), never edited. The
 * state of a purpose is its latest record. Each decision is audited and published as an event
 * (consent.granted / consent.declined / consent.withdrawn) in the same transaction.
 */
export class ConsentLedger implements CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'consent_records',
      columns: {
        id: 'plain',
        seq: 'plain',
        customer_id: 'consents',
        purpose_key: 'plain',
        version: 'plain',
        decision: 'consents',
        text_hash: 'plain',
        locale: 'consents',
        channel: 'plain',
        client_id: 'plain',
        actor_type: 'plain',
        actor_id: 'consents',
        ip_hash: 'consents',
        recorded_at: 'plain',
        brand: 'plain',
        source_platform: 'plain',
        source_record_id: 'consents',
        captured_at: 'consents',
        source_proof: 'consents',
        counts: 'plain',
      },
      erasure: { rule: 'pseudonymize', reason: 'proof of consent (Art. 7(1)): standing consents are withdrawn and the network hash blanked, the pseudonymous id, purpose, version, decision and time stay' },
      export: { rule: 'included', section: 'consent_history', reason: 'every decision as recorded, and beside them the state of each purpose (consents); left out: the network, kept only as a keyed hash that reads as nothing, and the id of an agent who took a decision down (staff)' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #purposes: ConsentPurposes;
  readonly #audit: AuditLog;
  readonly #events: EventPublisher;
  readonly #ipKey: Buffer;
  readonly #brandOf: (clientId: string) => Promise<string | null>;
  readonly #listeners: DecisionListener[] = [];

  /** `brandOf`: the brand of a client, recorded with each decision given at it (the per-brand consent figures). */
  constructor(deps: { db: Kysely<Database>; purposes: ConsentPurposes; audit: AuditLog; events: EventPublisher; ipKey: Buffer; brandOf?: (clientId: string) => Promise<string | null> }) {
    this.#db = deps.db;
    this.#brandOf = deps.brandOf ?? (async () => null);
    this.#purposes = deps.purposes;
    this.#audit = deps.audit;
    this.#events = deps.events;
    this.#ipKey = deps.ipKey;
  }

  /**
   * `listener` runs in the transaction of every decision that takes effect (not one kept only as
   * history): what is kept under a purpose goes in the same commit as its withdrawal.
   */
  onDecision(listener: DecisionListener): void {
    this.#listeners.push(listener);
  }

  /** Records decisions in one transaction; each must name a purpose and its current version (a platform's decision: any version of it). */
  async record(decisions: Decision[], context: DecisionContext, now = Date.now()): Promise<Recorded[]> {
    const versions = await this.#checked(decisions, now);
    const brand = context.clientId ? await this.#brandOf(context.clientId) : null;
    return this.#db.transaction().execute(async (trx) => {
      await this.#customerExists(trx, context.customerId);
      return this.#append(trx, decisions.map((decision) => ({ ...decision, textHash: versions.get(decision.purpose)!.textHash })), { ...context, brand }, this.#ipHash(context), now);
    });
  }

  /**
   * Records a batch of decisions of many customers (a consent-management platform's) in ONE
   * transaction: a refused item (its 4xx carries `details.index`) writes nothing of the batch.
   */
  async recordBatch(items: BatchDecision[], now = Date.now()): Promise<Recorded[]> {
    const checked: Array<Decision & { textHash: string }> = [];
    for (const [index, item] of items.entries()) {
      const versions = await this.#checked([item.decision], now).catch((error: unknown) => {
        throw refusalAt(index, error);
      });
      checked.push({ ...item.decision, textHash: versions.get(item.decision.purpose)!.textHash });
    }
    return this.#db.transaction().execute(async (trx) => {
      const results: Recorded[] = [];
      for (const [index, item] of items.entries()) {
        await this.#customerExists(trx, item.context.customerId).catch((error: unknown) => {
          throw refusalAt(index, error);
        });
        results.push(...(await this.#append(trx, [checked[index]!], { ...item.context, brand: null }, this.#ipHash(item.context), now)));
      }
      return results;
    });
  }

  /**
   * One customer's decisions brought by an import (`portvakt import`), inside its batch's
   * transaction, each with its source (the old platform, its record, the original time), in the
   * order they were captured: the latest counts, an older one arriving after a newer one is kept as
   * history, a record already in the ledger is not stored again. The caller checked each with
   * `validate` and gives the text hash of the version decided on.
   */
  async recordImported(trx: Transaction<Database>, customerId: string, locale: string, decisions: Array<Decision & { textHash: string; source: DecisionSource }>, publish: boolean, now = Date.now()): Promise<Recorded[]> {
    const ordered = [...decisions].sort((a, b) => a.source.capturedAt - b.source.capturedAt);
    const context = { customerId, locale, channel: 'web' as const, clientId: null, brand: null, actor: { type: 'customer' as const, id: customerId }, imported: { publish } };
    return this.#append(trx, ordered, context, null, now);
  }

  async #customerExists(trx: Transaction<Database>, customerId: string): Promise<void> {
    const customer = await trx.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
    if (!customer) throw new DomainError('not_found', 404, 'customer not found');
  }

  /** Throws the ledger's 400s for decisions it would refuse (before they are kept to be recorded later). */
  async validate(decisions: Decision[]): Promise<void> {
    await this.#checked(decisions);
  }

  /**
   * Each decision names a purpose at its current version; a required one can only be granted; none
   * twice. A platform's decision was captured earlier, perhaps under an earlier version: any
   * version the purpose has had is accepted, with that version's text hash; its capture time may
   * not be in the future (beyond a minute of clock difference).
   */
  async #checked(decisions: Decision[], now = Date.now()): Promise<Map<string, PurposeVersion>> {
    const versions = new Map<string, PurposeVersion>();
    for (const decision of decisions) {
      const current = await this.#purposes.current(decision.purpose).catch(() => undefined);
      if (!current) throw new DomainError('unknown_purpose', 400, `There is no consent purpose ${decision.purpose}`);
      const version = decision.source && decision.version !== current.version ? await this.#purposes.version(decision.purpose, decision.version) : current;
      if (!version || version.version !== decision.version) throw new DomainError('wrong_version', 400, `${decision.purpose} is at version ${current.version}, not ${decision.version}`);
      if (current.required && decision.decision !== 'granted') throw new DomainError('purpose_required', 400, `${decision.purpose} is required and cannot be declined or withdrawn`);
      if (decision.source && decision.source.capturedAt > now + CAPTURE_SKEW_MS) throw new DomainError('captured_in_future', 400, `The decision on ${decision.purpose} was captured in the future`);
      versions.set(decision.purpose, version);
    }
    if (new Set(decisions.map((decision) => decision.purpose)).size !== decisions.length) throw new DomainError('duplicate_purpose', 400, 'A purpose appears twice');
    return versions;
  }

  #ipHash(context: DecisionContext): string | null {
    return context.ip ? createHmac('sha256', this.#ipKey).update(clientNetwork(context.ip)).digest('base64url') : null;
  }

  /**
   * A bulk load (`portvakt seed`): one decision per customer, as that customer on the web, numbered
   * in the ledger's sequence like every other decision, in multi-row INSERTs of `rowsPerInsert`.
   * No events and no audit entry per decision (the caller records the run). The customers are
   * new in the caller's transaction: each decision is their first on the purpose (the figures count them so).
   */
  static async appendSeeded(trx: Transaction<Database>, ids: readonly string[], purpose: PurposeVersion, decision: ConsentRecordsTable['decision'], now: number, rowsPerInsert: number): Promise<void> {
    const count = ids.length;
    const { seq } = await trx.updateTable('consent_sequence').set((eb) => ({ seq: eb('seq', '+', count) })).where('id', '=', 1).returning('seq').executeTakeFirstOrThrow();
    const first = Number(seq) - count + 1;
    for (let offset = 0; offset < count; offset += rowsPerInsert) {
      await trx
        .insertInto('consent_records')
        .values(
          ids.slice(offset, offset + rowsPerInsert).map((id, i) => ({
            id: `cns_${crypto.randomUUID()}`,
            seq: first + offset + i,
            customer_id: id,
            purpose_key: purpose.key,
            version: purpose.version,
            decision,
            text_hash: purpose.textHash,
            locale: 'sv',
            channel: 'web' as const,
            client_id: null,
            actor_type: 'customer' as const,
            actor_id: id,
            ip_hash: null,
            recorded_at: now,
            brand: null,
            source_platform: null,
            source_record_id: null,
            captured_at: null,
            source_proof: null,
            counts: 1,
          })),
        )
        .execute();
    }
    await ConsentFigures.add(trx, purpose.key, { version: purpose.version, brand: null, decision }, count);
  }

  /**
   * At an erasure, inside its transaction: every grant still standing is withdrawn (the customer
   * asked to be forgotten), so audiences and downstream lists drop them; the records themselves
   * stay as pseudonymous proof, without the hashed network.
   */
  async withdrawAllWithin(trx: Transaction<Database>, customerId: string, requestId: string, now = Date.now()): Promise<void> {
    const records = await trx.selectFrom('consent_records').selectAll().where('customer_id', '=', customerId).where('counts', '=', 1).orderBy('seq', 'desc').execute();
    const latest = latestOf(records);
    const standing = [...latest.values()].filter((record) => record.decision === 'granted');
    if (standing.length > 0) {
      await this.#append(
        trx,
        standing.map((record) => ({ purpose: record.purpose_key, version: record.version, decision: 'withdrawn' as const, textHash: record.text_hash })),
        { customerId, locale: standing[0]!.locale, channel: 'web', clientId: null, brand: null, actor: { type: 'customer', id: customerId } },
        null,
        now,
        { request_id: requestId },
      );
    }
    await trx.updateTable('consent_records').set({ ip_hash: null }).where('customer_id', '=', customerId).execute();
  }

  /**
   * Appends after taking the ledger's sequence row: appends run one at a time, so each reads the
   * decision it replaces as it stands. A platform's decision captured before the standing one's
   * decision time arrived late: it is kept as history (`counts` 0) and changes nothing — no
   * figures, listeners or `consent.*` event, only an audit entry `consent.recorded_late`. A platform
   * record already in the ledger is a duplicate and not stored again (its number stays unused).
   */
  async #append(trx: Transaction<Database>, decisions: Array<Decision & { textHash: string }>, context: DecisionContext & { brand: string | null }, ipHash: string | null, now: number, extra: Record<string, string> = {}): Promise<Recorded[]> {
    const { seq } = await trx.updateTable('consent_sequence').set((eb) => ({ seq: eb('seq', '+', decisions.length) })).where('id', '=', 1).returning('seq').executeTakeFirstOrThrow();
    let next = Number(seq) - decisions.length + 1;
    const results: Recorded[] = [];
    for (const decision of decisions) {
      const number = next++;
      const known = decision.source && (await this.#known(trx, decision.source));
      if (known) {
        results.push({ counted: known.counts === 1, duplicate: true });
        continue;
      }
      const replaced = await this.#standing(trx, context.customerId, decision.purpose);
      const counted = !(decision.source && replaced && decision.source.capturedAt < decidedAt(replaced));
      await this.#insert(trx, number, decision, context, ipHash, now, counted);
      if (counted) await this.#takeEffect(trx, decision, context, replaced, now, extra);
      else await this.#keptLate(trx, decision, context, now);
      results.push({ counted, duplicate: false });
    }
    return results;
  }

  /** The platform's record as already in the ledger (answered as a duplicate, with whether it counted). */
  async #known(trx: Transaction<Database>, source: DecisionSource): Promise<{ counts: number } | undefined> {
    return trx.selectFrom('consent_records').select('counts').where('source_platform', '=', source.platform).where('source_record_id', '=', source.recordId).executeTakeFirst();
  }

  async #insert(trx: Transaction<Database>, seq: number, decision: Decision & { textHash: string }, context: DecisionContext & { brand: string | null }, ipHash: string | null, now: number, counted: boolean): Promise<void> {
    await trx
      .insertInto('consent_records')
      .values({
        id: `cns_${crypto.randomUUID()}`,
        seq,
        customer_id: context.customerId,
        purpose_key: decision.purpose,
        version: decision.version,
        decision: decision.decision,
        text_hash: decision.textHash,
        locale: context.locale,
        channel: context.channel,
        client_id: context.clientId,
        actor_type: context.actor.type,
        actor_id: context.actor.id,
        ip_hash: ipHash,
        recorded_at: now,
        brand: context.brand,
        source_platform: decision.source?.platform ?? null,
        source_record_id: decision.source?.recordId ?? null,
        captured_at: decision.source?.capturedAt ?? null,
        source_proof: decision.source?.proof ?? null,
        counts: counted ? 1 : 0,
      })
      .execute();
  }

  /** A decision that counts: the figures move, those keeping something under the purpose are told, it is published and audited. */
  async #takeEffect(trx: Transaction<Database>, decision: Decision & { textHash: string }, context: DecisionContext & { brand: string | null }, replaced: Standing | undefined, now: number, extra: Record<string, string>): Promise<void> {
    await ConsentFigures.move(trx, decision.purpose, replaced, { version: decision.version, brand: context.brand, decision: decision.decision });
    for (const listener of this.#listeners) await listener(trx, { customerId: context.customerId, purpose: decision.purpose, decision: decision.decision }, now);
    const data = { purpose: decision.purpose, version: decision.version, channel: context.channel, actor: context.actor.type, ...extra };
    if (context.imported && !context.imported.publish) return;
    await this.#events.publish(trx, { type: `consent.${decision.decision}`, customerId: context.customerId, data }, now);
    if (context.imported) return;
    const details = { ...data, text_hash: decision.textHash, ...sourceDetails(decision.source) };
    await this.#audit.append(
      trx,
      // Recorded by an agent or a platform: the audit names the operator key that called (and the agent it named).
      context.actor.type === 'agent' || decision.source
        ? { action: `consent.${decision.decision}`, actor: OPERATOR, subject: { type: 'customer', id: context.customerId }, details: context.actor.type === 'agent' ? { ...details, agent_id: context.actor.id } : details }
        : { action: `consent.${decision.decision}`, actor: { type: 'customer', id: context.actor.id }, subject: { type: 'customer', id: context.customerId }, details },
      now,
    );
  }

  /** An older platform decision that arrived after a newer one: in the ledger as history, and audited; nothing else. */
  async #keptLate(trx: Transaction<Database>, decision: Decision, context: DecisionContext, now: number): Promise<void> {
    if (context.imported) return;
    const details = { purpose: decision.purpose, version: decision.version, decision: decision.decision, ...sourceDetails(decision.source) };
    await this.#audit.append(trx, { action: 'consent.recorded_late', actor: OPERATOR, subject: { type: 'customer', id: context.customerId }, details }, now);
  }

  /** The customer's counting record on the purpose (records kept as history only are passed over). */
  async #standing(trx: Transaction<Database>, customerId: string, purpose: string): Promise<(Standing & Pick<ConsentRecordsTable, 'captured_at' | 'recorded_at'>) | undefined> {
    return trx
      .selectFrom('consent_records')
      .select(['version', 'brand', 'decision', 'captured_at', 'recorded_at'])
      .where('customer_id', '=', customerId)
      .where('purpose_key', '=', purpose)
      .where('counts', '=', 1)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** The state of every purpose for the customer, from the latest counting record of each (decided: when captured, for a platform's decision). */
  async state(customerId: string): Promise<ConsentState[]> {
    const [purposes, latest] = await Promise.all([this.#purposes.list(), this.#latest(customerId)]);
    return purposes.map((purpose) => {
      const record = latest.get(purpose.key);
      const stillValid = record !== undefined && record.version >= purpose.freshFloor;
      return {
        purpose: purpose.key,
        state: record?.decision ?? 'not_asked',
        version: record?.version ?? null,
        currentVersion: purpose.version,
        decidedAt: record ? decidedAt(record) : null,
        effective: record?.decision === 'granted' && stillValid,
      };
    });
  }

  /**
   * Purposes to ask at a sign-in through a client of `brand`: those of the group or that brand
   * never asked, or asked before a version that wants fresh consent; and the purposes the client
   * requested (the `purposes` authorization parameter) that are not granted now.
   */
  async due(customerId: string, scope: PurposeScope = { brand: null, requested: [] }): Promise<PurposeVersion[]> {
    const [purposes, latest] = await Promise.all([this.#purposes.list(), this.#latest(customerId)]);
    return purposes.filter((purpose) => {
      if (!appliesTo(purpose, scope.brand)) return false;
      const record = latest.get(purpose.key);
      if (record === undefined || record.version < purpose.freshFloor) return true;
      return scope.requested.includes(purpose.key) && record.decision !== 'granted';
    });
  }

  /**
   * Each customer's state of the purposes they decided on (all, or `purpose` alone), read in
   * `executor` — a decision's own transaction when called from a listener. A grant from before a
   * version that asked for fresh consent does not count: it reads as `not_asked`.
   */
  async statesAmong(executor: Kysely<Database>, customerIds: readonly string[], purpose?: string): Promise<Map<string, Map<string, ConsentState['state']>>> {
    const states = new Map<string, Map<string, ConsentState['state']>>();
    if (customerIds.length === 0) return states;
    // Records kept only as history (a platform's older decision that arrived late) never decide.
    let query = executor.selectFrom('consent_records').select(['customer_id', 'purpose_key', 'decision', 'version']).where('customer_id', 'in', customerIds).where('counts', '=', 1);
    if (purpose !== undefined) query = query.where('purpose_key', '=', purpose);
    const [records, floors] = await Promise.all([
      query.orderBy('customer_id').orderBy('purpose_key').orderBy('seq', 'desc').execute(),
      executor.selectFrom('consent_purpose_versions').select(['purpose_key']).select((eb) => eb.fn.max<number>('version').as('floor')).where('requires_fresh_consent', '=', 1).groupBy('purpose_key').execute(),
    ]);
    const floorOf = new Map(floors.map((row) => [row.purpose_key, Number(row.floor)]));
    for (const record of records) {
      let customer = states.get(record.customer_id);
      if (!customer) states.set(record.customer_id, (customer = new Map()));
      if (customer.has(record.purpose_key)) continue;
      const lapsed = record.decision === 'granted' && record.version < (floorOf.get(record.purpose_key) ?? 1);
      customer.set(record.purpose_key, lapsed ? 'not_asked' : record.decision);
    }
    return states;
  }

  /** Of `customerIds`, those whose grant of `purpose` counts now (read in `executor`). */
  async grantedAmong(executor: Kysely<Database>, purpose: string, customerIds: readonly string[]): Promise<Set<string>> {
    const states = await this.statesAmong(executor, customerIds, purpose);
    return new Set([...states].filter(([, purposes]) => purposes.get(purpose) === 'granted').map(([id]) => id));
  }

  /** Of the requested purposes, those the customer has not granted (or whose grant no longer counts). */
  async notGranted(customerId: string, requested: string[]): Promise<string[]> {
    if (requested.length === 0) return [];
    const effective = new Set((await this.state(customerId)).filter((entry) => entry.effective).map((entry) => entry.purpose));
    return requested.filter((key) => !effective.has(key));
  }

  /** The state of every purpose (consents) and every decision recorded (consent_history, newest first). */
  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const [states, history] = await Promise.all([this.state(customer.id), db.selectFrom('consent_records').selectAll().where('customer_id', '=', customer.id).orderBy('seq', 'desc').execute()]);
    return {
      consents: states.map((entry) => ({ purpose: entry.purpose, state: entry.state, version: entry.version, effective: entry.effective, decided_at: isoTime(entry.decidedAt) })),
      consent_history: history.map((record) => ({
        ...decisionFields(record),
        actor: record.actor_type,
        recorded_at: isoTime(record.recorded_at),
        source: record.source_platform === null ? null : { platform: record.source_platform, record_id: record.source_record_id, captured_at: isoTime(record.captured_at), proof: record.source_proof },
      })),
    };
  }

  /** Every record of the customer, newest first, those kept as history only (`counts` 0) included. */
  history(customerId: string): Promise<ConsentRecordsTable[]> {
    return this.#db.selectFrom('consent_records').selectAll().where('customer_id', '=', customerId).orderBy('seq', 'desc').execute();
  }

  /**
   * One page of the customers whose latest decision for the purpose is `state`, by customer id
   * after `after`. `granted` means a grant that still counts: one of a version at or after the last
   * version that asked for fresh consent.
   *
   * The ledger is read in index order (purpose, customer, newest record first), so the first record
   * of each customer is their current decision; the query is a plain ordered range scan whose cost
   * is the rows read, whatever the planner's statistics say. (A "latest record" subquery in SQL
   * let PostgreSQL misjudge its selectivity near the end of the range and sort the whole rest of
   * the ledger for every page.) A page stops at `limit` customers or after reading
   * `AUDIENCE_SCAN_ROWS` records, so a sparse audience gives short pages rather than slow ones;
   * `next` is null only at the end.
   *
   * Records kept as history only (`counts` 0) are left out in the query itself, not passed over
   * in the loop: a run of them longer than a batch would otherwise never move the cursor. Beside
   * the page, `sources`: its customers whose deciding record came from a platform.
   */
  async audience(purpose: PurposeVersion, state: ConsentRecordsTable['decision'], after: string | undefined, limit: number): Promise<AudiencePage> {
    const customers: string[] = [];
    const sources: AudienceSource[] = [];
    let cursor = after;
    let read = 0;
    const batch = limit + AUDIENCE_BATCH_MARGIN;
    while (read < AUDIENCE_SCAN_ROWS) {
      let query = this.#db
        .selectFrom('consent_records')
        .select(['customer_id', 'decision', 'version', 'source_platform', 'source_record_id', 'captured_at'])
        .where('purpose_key', '=', purpose.key)
        .where('counts', '=', 1)
        .orderBy('customer_id')
        .orderBy('seq', 'desc')
        .limit(batch);
      if (cursor) query = query.where('customer_id', '>', cursor);
      const rows = await query.execute();
      read += rows.length;
      for (const row of rows) {
        if (row.customer_id === cursor) continue;
        cursor = row.customer_id;
        if (row.decision === state && (state !== 'granted' || row.version >= purpose.freshFloor)) {
          customers.push(row.customer_id);
          if (row.source_platform !== null) sources.push({ customerId: row.customer_id, platform: row.source_platform, recordId: row.source_record_id!, capturedAt: Number(row.captured_at) });
          if (customers.length === limit) return { customers, next: cursor, sources };
        }
      }
      if (rows.length < batch) return { customers, next: null, sources };
    }
    return { customers, next: cursor ?? null, sources };
  }

  async #latest(customerId: string): Promise<Map<string, ConsentRecordsTable>> {
    return latestOf(await this.history(customerId));
  }
}

/** The latest counting record of each purpose, of records newest first. */
function latestOf(records: ConsentRecordsTable[]): Map<string, ConsentRecordsTable> {
  const latest = new Map<string, ConsentRecordsTable>();
  for (const record of records) if (record.counts === 1 && !latest.has(record.purpose_key)) latest.set(record.purpose_key, record);
  return latest;
}

/** What a record says was decided, where and over which text, as the API and the export name it. */
export function decisionFields(record: ConsentRecordsTable) {
  return { purpose: record.purpose_key, version: record.version, decision: record.decision, text_hash: record.text_hash, locale: record.locale, channel: record.channel, client_id: record.client_id, brand: record.brand, counted: record.counts === 1 };
}

/** When a decision was taken: captured, for a platform's; recorded, for one taken here. */
export const decidedAt = (record: Pick<ConsentRecordsTable, 'captured_at' | 'recorded_at'>): number => Number(record.captured_at ?? record.recorded_at);

const sourceDetails = (source: DecisionSource | undefined): Record<string, string> => (source ? { platform: source.platform, record_id: source.recordId } : {});
