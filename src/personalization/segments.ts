import type { Kysely, Transaction } from 'kysely';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../consent/consent-purposes.ts';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import { conflict, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import type { DomainEvent, EventPublisher } from '../events/event-publisher.ts';
import type { Dialect } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import { checkRule, needsOf, RuleCheck, segmentsNamed, type CustomerFacts, type Qualifier, type Rule, type Verdict } from './segment-rules.ts';
import type { Signals } from './signals.ts';

/** What the customer reads about a segment: its name and why they are in it (`{date}` is the qualifying signal's date). */
export interface SegmentTexts {
  sv: { title: string; reason: string };
  en: { title: string; reason: string };
}

export interface Segment {
  key: string;
  rule: Rule;
  texts: SegmentTexts;
  /** False while the first look at every customer under the consent runs. */
  built: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface Membership {
  segment: string;
  texts: SegmentTexts;
  enteredAt: number;
  reason: Qualifier | null;
}

/** Why a customer's memberships are looked at: a new signal or decision, a changed profile (attributes, a first visit at a brand), a window passing, the first build of a segment. */
export type RefreshCause = 'signal' | 'time' | 'consent' | 'profile' | 'build';

/** Rows per multi-row INSERT (four values each). */
const ROWS_PER_INSERT = 200;

/** Customers looked at in one transaction by a recheck or build pass. */
const PASS_SIZE = 500;

/**
 * Segments and who is in them. A customer's memberships are worked out again only when something
 * about them changes — their signals arrive, a consent decision is taken, a time window passes
 * (`segment_rechecks` holds when) — never by rescanning everyone; a new segment is built once, in
 * passes over the customers under the consent. Only customers whose grant of the gating purpose
 * counts are ever members; entering and leaving are published (segment.entered / segment.left)
 * in the transaction of the change.
 */
export class Segments implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'segment_members',
      columns: { segment_key: 'activity', customer_id: 'activity', entered_at: 'activity', reason: 'activity' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'segments' },
    },
    {
      table: 'segment_marks',
      columns: { customer_id: 'activity', marked_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'omitted', reason: 'only that the segments are to be looked at again after a batch of signals; the signals and segments sections hold what it is about' },
    },
    {
      table: 'segment_rechecks',
      columns: { customer_id: 'activity', due_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'omitted', reason: 'only when the segments are looked at again; the signals and segments sections hold what it is about' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #signals: Signals;
  readonly #ledger: ConsentLedger;
  readonly #purposes: ConsentPurposes;
  readonly #events: EventPublisher;
  readonly #audit: AuditLog;
  readonly #gate: string;
  readonly #retentionDays: number;
  readonly #dialect: Dialect;
  #building: Promise<void> | undefined;

  constructor(deps: { db: Kysely<Database>; signals: Signals; ledger: ConsentLedger; purposes: ConsentPurposes; events: EventPublisher; audit: AuditLog; gatingPurpose: string; retentionDays: number; dialect: Dialect }) {
    this.#dialect = deps.dialect;
    this.#db = deps.db;
    this.#signals = deps.signals;
    this.#ledger = deps.ledger;
    this.#purposes = deps.purposes;
    this.#events = deps.events;
    this.#audit = deps.audit;
    this.#gate = deps.gatingPurpose;
    this.#retentionDays = deps.retentionDays;
  }

  async create(input: { key: string; rule: Rule; texts: SegmentTexts }, now = Date.now()): Promise<Segment> {
    await this.#db.transaction().execute(async (trx) => {
      const others = await this.#rules(trx);
      if (others.has(input.key)) throw conflict('segment_exists', `There is a segment ${input.key}`);
      checkRule(input.key, input.rule, others, this.#retentionDays);
      await trx.insertInto('segments').values({ key: input.key, rule: JSON.stringify(input.rule), texts: JSON.stringify(input.texts), built: 0, build_cursor: null, created_at: now, updated_at: now }).execute();
      await this.#audit.append(trx, { action: 'segment.created', actor: OPERATOR, subject: { type: 'segment', id: input.key }, details: { rule: JSON.stringify(input.rule) } }, now);
    });
    this.#buildSoon();
    return this.get(input.key);
  }

  /** A new rule or texts: the segment is built again (members who no longer qualify leave). */
  async update(key: string, input: { rule?: Rule | undefined; texts?: SegmentTexts | undefined }, now = Date.now()): Promise<Segment> {
    await this.#db.transaction().execute(async (trx) => {
      const others = await this.#rules(trx);
      if (!others.delete(key)) throw notFound('segment');
      if (input.rule) checkRule(key, input.rule, others, this.#retentionDays);
      await trx
        .updateTable('segments')
        .set({ ...(input.rule ? { rule: JSON.stringify(input.rule), built: 0, build_cursor: null } : {}), ...(input.texts ? { texts: JSON.stringify(input.texts) } : {}), updated_at: now })
        .where('key', '=', key)
        .execute();
      await this.#audit.append(trx, { action: 'segment.updated', actor: OPERATOR, subject: { type: 'segment', id: key }, details: { ...(input.rule ? { rule: JSON.stringify(input.rule) } : {}), texts_changed: input.texts !== undefined } }, now);
    });
    if (input.rule) this.#buildSoon();
    return this.get(key);
  }

  /** Removes a segment and its memberships (409 segment_in_use while another rule names it). */
  async remove(key: string, now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const rules = await this.#rules(trx);
      if (!rules.has(key)) throw notFound('segment');
      const user = [...rules].find(([other, rule]) => other !== key && segmentsNamed(rule).includes(key));
      if (user) throw conflict('segment_in_use', `The segment ${user[0]} refers to ${key}`);
      await trx.deleteFrom('segment_members').where('segment_key', '=', key).execute();
      await trx.deleteFrom('segments').where('key', '=', key).execute();
      await this.#audit.append(trx, { action: 'segment.removed', actor: OPERATOR, subject: { type: 'segment', id: key } }, now);
    });
  }

  async get(key: string): Promise<Segment> {
    const row = await this.#db.selectFrom('segments').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) throw notFound('segment');
    return present(row);
  }

  async list(): Promise<Segment[]> {
    return (await this.#db.selectFrom('segments').selectAll().orderBy('key').execute()).map(present);
  }

  /** How many are in a segment now. */
  async size(key: string): Promise<number> {
    const row = await this.#db.selectFrom('segment_members').select((eb) => eb.fn.countAll<number>().as('n')).where('segment_key', '=', key).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Works out the memberships of these customers at `now`, in the caller's transaction: those
   * without a counting grant of the gating purpose leave every segment; the others are checked
   * against every rule. Enter and leave are published; when a window will next change a verdict,
   * that time is kept to look again. Waits for a transaction working on the same customers.
   */
  async refresh(trx: Transaction<Database>, customerIds: readonly string[], now: number, cause: RefreshCause, grantedAlready?: ReadonlySet<string>): Promise<void> {
    if (customerIds.length === 0) return;
    const rules = await this.#rules(trx);
    if (rules.size === 0) return;
    await this.#takeMemberships(trx, customerIds, 'wait');
    await this.#work(trx, customerIds, rules, now, cause, grantedAlready);
  }

  /**
   * An ingest's hold on its customers, taken before it reads their grants, without waiting for
   * another ingest: the memberships' lock on those no other transaction is working on (it guards
   * the gate too), the gate's alone on the rest (`busy`). See the locks below. SQLite has one
   * writer at a time: every customer is taken.
   */
  async claimForIngest(trx: Transaction<Database>, customerIds: readonly string[]): Promise<{ taken: ReadonlySet<string>; busy: string[] }> {
    const taken = await this.#takeMemberships(trx, customerIds, 'skip');
    const busy = customerIds.filter((id) => !taken.has(id));
    await this.#guard(trx, busy);
    return { taken, busy };
  }

  /**
   * An ingest's refresh, after `claimForIngest`, of the customers whose signals it kept: those it
   * took are worked out now, as `refresh` does; the busy ones are marked (`segment_marks`, no
   * unique key, so marking never waits) and answered, for the caller to `refresh` after its commit
   * (the mark has the cleanup job do it should that never happen).
   */
  async refreshClaimed(trx: Transaction<Database>, claim: { taken: ReadonlySet<string> }, customerIds: readonly string[], now: number, cause: RefreshCause, granted: ReadonlySet<string>): Promise<string[]> {
    if (customerIds.length === 0) return [];
    const rules = await this.#rules(trx);
    if (rules.size === 0) return [];
    const busy = customerIds.filter((id) => !claim.taken.has(id));
    for (let offset = 0; offset < busy.length; offset += ROWS_PER_INSERT) {
      await trx.insertInto('segment_marks').values(busy.slice(offset, offset + ROWS_PER_INSERT).map((customer_id) => ({ customer_id, marked_at: now }))).execute();
    }
    await this.#work(trx, customerIds.filter((id) => claim.taken.has(id)), rules, now, cause, granted);
    return busy;
  }

  async #work(trx: Transaction<Database>, customerIds: readonly string[], rules: Map<string, Rule>, now: number, cause: RefreshCause, grantedAlready?: ReadonlySet<string>): Promise<void> {
    if (customerIds.length === 0) return;
    // A caller that guarded these customers and read their grants in this transaction passes them on.
    const granted = grantedAlready ?? (await this.#ledger.grantedAmong(trx, this.#gate, customerIds));
    const facts = await this.#facts(trx, customerIds.filter((id) => granted.has(id)), rules.values(), now);
    const current = await this.#membersOf(trx, customerIds);
    const changes = new MembershipChanges(now, cause);
    for (const customerId of customerIds) {
      const verdicts = new Map<string, Verdict>();
      const customerFacts = facts.get(customerId);
      if (customerFacts) {
        const check = new RuleCheck(customerFacts, now, this.#retentionDays, (key) => rules.get(key));
        for (const key of rules.keys()) verdicts.set(key, check.segment(key));
      }
      changes.add(customerId, current.get(customerId) ?? new Map(), verdicts);
    }
    await this.#write(trx, changes);
  }

  /*
   * PostgreSQL row locks on the customers, one kind per job, each taken in id order so two
   * transactions cannot deadlock (SQLite has one writer at a time and takes none):
   * - the gate's (FOR KEY SHARE, `#guard`), an ingest's: its read of the grants stays true until it
   *   commits. Ingests share it; a withdrawal (`hold`, FOR UPDATE) waits for them, and they for it.
   * - the memberships' (FOR NO KEY UPDATE), taken by whoever works out memberships: one
   *   transaction at a time reads a customer's signals and writes what follows, so none works from
   *   what another has not committed. It does not conflict with the gate's, and guards the gate
   *   as well (a withdrawal's FOR UPDATE waits for it too).
   */

  /** The gate's lock for an ingest (see the locks above). */
  async #guard(trx: Transaction<Database>, customerIds: readonly string[]): Promise<void> {
    if (this.#dialect !== 'postgres' || customerIds.length === 0) return;
    await trx.selectFrom('customers').select('id').where('id', 'in', [...customerIds].sort()).orderBy('id').forKeyShare().execute();
  }

  /** Holds these customers against every other lock for the rest of the transaction (a withdrawal of the gating purpose). */
  async hold(trx: Transaction<Database>, customerIds: readonly string[]): Promise<void> {
    if (this.#dialect !== 'postgres' || customerIds.length === 0) return;
    await trx.selectFrom('customers').select('id').where('id', 'in', [...customerIds].sort()).orderBy('id').forUpdate().execute();
  }

  /**
   * Takes the memberships' lock on these customers, waiting for it or skipping the customers
   * another transaction has; answers those taken. Their marks (`segment_marks`) are cleared here,
   * before their signals are read: whatever a mark was left for is committed, so it is read now.
   */
  async #takeMemberships(trx: Transaction<Database>, customerIds: readonly string[], busy: 'wait' | 'skip'): Promise<Set<string>> {
    if (this.#dialect !== 'postgres') return new Set(customerIds);
    let query = trx.selectFrom('customers').select('id').where('id', 'in', [...customerIds].sort()).orderBy('id').forNoKeyUpdate();
    if (busy === 'skip') query = query.skipLocked();
    const taken = new Set((await query.execute()).map((row) => row.id));
    if (taken.size > 0) await trx.deleteFrom('segment_marks').where('customer_id', 'in', [...taken]).execute();
    return taken;
  }

  /** The customer leaves every segment (the gating consent was withdrawn), in the withdrawal's transaction. */
  async leaveAll(trx: Transaction<Database>, customerId: string, now: number): Promise<void> {
    const changes = new MembershipChanges(now, 'consent');
    changes.add(customerId, (await this.#membersOf(trx, [customerId])).get(customerId) ?? new Map(), new Map());
    await this.#write(trx, changes);
  }

  /** Writes what changed, batched: entries, leavings, reasons, the times to look again, and the events. */
  async #write(trx: Transaction<Database>, changes: MembershipChanges): Promise<void> {
    for (let offset = 0; offset < changes.entered.length; offset += ROWS_PER_INSERT) await trx.insertInto('segment_members').values(changes.entered.slice(offset, offset + ROWS_PER_INSERT)).execute();
    for (const [customerId, keys] of changes.left) await trx.deleteFrom('segment_members').where('customer_id', '=', customerId).where('segment_key', 'in', keys).execute();
    for (const row of changes.reasons) await trx.updateTable('segment_members').set({ reason: row.reason }).where('segment_key', '=', row.segment_key).where('customer_id', '=', row.customer_id).execute();
    if (changes.settled.length > 0) await trx.deleteFrom('segment_rechecks').where('customer_id', 'in', changes.settled).execute();
    for (let offset = 0; offset < changes.rechecks.length; offset += ROWS_PER_INSERT) {
      await trx
        .insertInto('segment_rechecks')
        .values(changes.rechecks.slice(offset, offset + ROWS_PER_INSERT))
        .onConflict((oc) => oc.column('customer_id').doUpdateSet((eb) => ({ due_at: eb.ref('excluded.due_at') })))
        .execute();
    }
    // Published at the clock's time: `now` is the time the rules are read at (a maintenance pass may read ahead).
    await this.#events.publishAll(trx, changes.events);
  }

  /** Customers marked by a batch that was never followed by its refresh (a crash), then those whose verdicts a passing window may have changed: looked at again, a pass at a time. Answers how many. */
  async recheckDue(now = Date.now()): Promise<number> {
    let done = 0;
    let previous = '';
    for (;;) {
      const marked = (await this.#db.selectFrom('segment_marks').select('customer_id').distinct().orderBy('customer_id').limit(PASS_SIZE).execute()).map((row) => row.customer_id);
      if (marked.length === 0 || marked.join() === previous) break;
      previous = marked.join();
      await this.#db.transaction().execute(async (trx) => {
        // Working a customer out clears their marks; with no segment left there is nothing to work out.
        if ((await this.#rules(trx)).size === 0) await trx.deleteFrom('segment_marks').where('customer_id', 'in', marked).execute();
        else await this.refresh(trx, marked, now, 'signal');
      });
      done += marked.length;
    }
    for (;;) {
      const due = await this.#db.selectFrom('segment_rechecks').select('customer_id').where('due_at', '<=', now).orderBy('due_at').limit(PASS_SIZE).execute();
      if (due.length === 0) return done;
      await this.#db.transaction().execute((trx) => this.refresh(trx, due.map((row) => row.customer_id), now, 'time'));
      done += due.length;
      if (due.length < PASS_SIZE) return done;
    }
  }

  /** Starts the build now; should it fail, the cleanup job's next pass builds what is left (`built` says so meanwhile). */
  #buildSoon(): void {
    this.build().catch(() => undefined);
  }

  /** Builds every segment not built yet, in passes over the customers whose gating grant counts (at most one build runs per node). */
  build(now?: number): Promise<void> {
    this.#building ??= this.#buildAll(now).finally(() => {
      this.#building = undefined;
    });
    return this.#building;
  }

  async #buildAll(now?: number): Promise<void> {
    for (;;) {
      const pending = await this.#db.selectFrom('segments').select(['key', 'build_cursor']).where('built', '=', 0).orderBy('created_at').limit(1).executeTakeFirst();
      if (!pending) return;
      const purpose = await this.#purposes.current(this.#gate).catch(() => undefined);
      const page = purpose ? await this.#ledger.audience(purpose, 'granted', pending.build_cursor ?? undefined, PASS_SIZE) : { customers: [], next: null };
      await this.#db.transaction().execute(async (trx) => {
        await this.refresh(trx, page.customers, now ?? Date.now(), 'build');
        await trx.updateTable('segments').set(page.next === null ? { built: 1, build_cursor: null } : { build_cursor: page.next }).where('key', '=', pending.key).execute();
      });
    }
  }

  /**
   * A page of a segment's members by customer id after `after` (the consent audience's shape).
   * Members are kept only under a counting grant (withdrawal removes them in its transaction); a
   * page is still checked against the ledger, so a grant a new purpose version stopped counting
   * releases nothing.
   */
  async audience(key: string, after: string | undefined, limit: number): Promise<{ customers: string[]; next: string | null }> {
    const [segment, purpose] = await Promise.all([this.#db.selectFrom('segments').select('key').where('key', '=', key).executeTakeFirst(), this.#purposes.current(this.#gate).catch(() => undefined)]);
    if (!segment) throw notFound('segment');
    let query = this.#db.selectFrom('segment_members').select('customer_id').where('segment_key', '=', key).orderBy('customer_id').limit(limit);
    if (after) query = query.where('customer_id', '>', after);
    const rows = await query.execute();
    const ids = rows.map((row) => row.customer_id);
    const next = rows.length < limit ? null : ids[ids.length - 1]!;
    // Every grant of the gating purpose still counts while no version of it has asked for fresh
    // consent; then a member is one with a counting grant (withdrawals take memberships in their own
    // transaction), and the page is the members as they are. Once a version asks afresh, grants
    // from before it stop counting without a decision, so each page is checked against the ledger.
    if (purpose && purpose.freshFloor <= 1) return { customers: ids, next };
    const granted = await this.#ledger.grantedAmong(this.#db, this.#gate, ids);
    return { customers: ids.filter((id) => granted.has(id)), next };
  }

  /** The customer's memberships, only while their grant of the gating purpose counts. */
  async of(customerId: string): Promise<Membership[]> {
    const granted = await this.#ledger.grantedAmong(this.#db, this.#gate, [customerId]);
    if (!granted.has(customerId)) return [];
    const rows = await this.#db
      .selectFrom('segment_members as m')
      .innerJoin('segments as s', 's.key', 'm.segment_key')
      .select(['m.segment_key', 'm.entered_at', 'm.reason', 's.texts'])
      .where('m.customer_id', '=', customerId)
      .orderBy('m.segment_key')
      .execute();
    return rows.map((row) => ({ segment: row.segment_key, texts: JSON.parse(row.texts) as SegmentTexts, enteredAt: Number(row.entered_at), reason: row.reason ? (JSON.parse(row.reason) as Qualifier) : null }));
  }

  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('segment_members').where('customer_id', '=', customer.id).execute();
    await trx.deleteFrom('segment_rechecks').where('customer_id', '=', customer.id).execute();
    await trx.deleteFrom('segment_marks').where('customer_id', '=', customer.id).execute();
  }

  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db.selectFrom('segment_members').selectAll().where('customer_id', '=', customer.id).orderBy('segment_key').execute();
    return {
      segments: rows.map((row) => {
        const reason = row.reason ? (JSON.parse(row.reason) as Qualifier) : null;
        return { segment: row.segment_key, entered_at: isoTime(row.entered_at), reason: reason && { type: reason.type, category: reason.category, occurred_at: isoTime(reason.occurred_at) } };
      }),
    };
  }

  async #rules(executor: Kysely<Database>): Promise<Map<string, Rule>> {
    const rows = await executor.selectFrom('segments').select(['key', 'rule']).orderBy('key').execute();
    return new Map(rows.map((row) => [row.key, JSON.parse(row.rule) as Rule]));
  }

  async #membersOf(executor: Kysely<Database>, customerIds: readonly string[]): Promise<Map<string, Map<string, string | null>>> {
    const rows = await executor.selectFrom('segment_members').select(['customer_id', 'segment_key', 'reason']).where('customer_id', 'in', customerIds).execute();
    const members = new Map<string, Map<string, string | null>>();
    for (const row of rows) {
      let of = members.get(row.customer_id);
      if (!of) members.set(row.customer_id, (of = new Map()));
      of.set(row.segment_key, row.reason);
    }
    return members;
  }

  /** What the rules read of these customers, each read once for all of them. */
  async #facts(trx: Transaction<Database>, customerIds: string[], rules: Iterable<Rule>, now: number): Promise<Map<string, CustomerFacts>> {
    const facts = new Map<string, CustomerFacts>();
    if (customerIds.length === 0) return facts;
    const needs = needsOf(rules, this.#retentionDays);
    const [signals, attributes, consents, brands] = await Promise.all([
      needs.days > 0 ? this.#signals.since(trx, customerIds, now - needs.days * 24 * 3600_000) : new Map(),
      needs.attributes ? trx.selectFrom('customer_attributes').select(['customer_id', 'key', 'value']).where('customer_id', 'in', customerIds).execute() : [],
      needs.consents ? this.#ledger.statesAmong(trx, customerIds) : new Map(),
      needs.brands ? trx.selectFrom('customer_brands').select(['customer_id', 'brand']).where('customer_id', 'in', customerIds).execute() : [],
    ]);
    for (const id of customerIds) facts.set(id, { signals: signals.get(id) ?? [], attributes: {}, consents: consents.get(id) ?? new Map(), brands: new Set() });
    for (const row of attributes) facts.get(row.customer_id)!.attributes[row.key] = JSON.parse(row.value) as unknown;
    for (const row of brands) (facts.get(row.customer_id)!.brands as Set<string>).add(row.brand);
    return facts;
  }
}

function present(row: Database['segments']): Segment {
  return { key: row.key, rule: JSON.parse(row.rule) as Rule, texts: JSON.parse(row.texts) as SegmentTexts, built: row.built === 1, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
}

/** What one refresh changes, customer by customer, gathered to be written in batches. */
class MembershipChanges {
  readonly entered: Array<{ segment_key: string; customer_id: string; entered_at: number; reason: string | null }> = [];
  readonly left = new Map<string, string[]>();
  readonly reasons: Array<{ segment_key: string; customer_id: string; reason: string | null }> = [];
  readonly rechecks: Array<{ customer_id: string; due_at: number }> = [];
  readonly settled: string[] = [];
  readonly events: DomainEvent[] = [];
  readonly #now: number;
  readonly #cause: RefreshCause;

  constructor(now: number, cause: RefreshCause) {
    this.#now = now;
    this.#cause = cause;
  }

  /** A customer's memberships now (segment → kept reason) against the verdicts; no verdicts: they leave everything. */
  add(customerId: string, current: Map<string, string | null>, verdicts: Map<string, Verdict>): void {
    for (const [key, verdict] of verdicts) {
      if (!verdict.member) continue;
      const reason = verdict.reason ? JSON.stringify(verdict.reason) : null;
      if (!current.has(key)) {
        this.entered.push({ segment_key: key, customer_id: customerId, entered_at: this.#now, reason });
        this.events.push({ type: 'segment.entered', customerId, data: { segment: key, cause: this.#cause } });
      } else if (current.get(key) !== reason) this.reasons.push({ segment_key: key, customer_id: customerId, reason });
    }
    const leaving = [...current.keys()].filter((key) => !verdicts.get(key)?.member);
    if (leaving.length > 0) this.left.set(customerId, leaving);
    for (const key of leaving) this.events.push({ type: 'segment.left', customerId, data: { segment: key, cause: this.#cause } });
    const due = [...verdicts.values()].reduce<number | null>((at, verdict) => (verdict.changesAt === null ? at : Math.min(at ?? Infinity, verdict.changesAt)), null);
    if (due === null) this.settled.push(customerId);
    else this.rechecks.push({ customer_id: customerId, due_at: due });
  }
}
