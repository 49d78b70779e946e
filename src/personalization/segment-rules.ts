import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { brandKey } from '../validation/brand-key.ts';
import { text } from '../validation/text.ts';

/** The event types every system may report; others are declared first (`PUT /api/v1/event-types/:key`). */
export const BUILTIN_SIGNAL_TYPES = ['purchase', 'return', 'view', 'cart'] as const;

export const signalTypeKey = text().regex(/^[a-z][a-z0-9_]{1,39}$/, 'lowercase letters, digits and _ such as purchase');
/** A category path such as home/white-goods/fridges: lowercase words joined by /. */
export const categoryPath = text().max(200).regex(/^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*){0,9}$/, 'a path of lowercase words joined by / such as home/white-goods/fridges');
export const segmentKey = text().regex(/^[a-z][a-z0-9_]{1,63}$/, 'lowercase letters, digits and _ such as recent_fridge');
export const channelKey = text().regex(/^[a-z][a-z0-9_-]{1,31}$/, 'a channel such as web, app or store');
const purposeKey = text().regex(/^[a-z][a-z0-9_]{1,63}$/);
const attributeKey = text().regex(/^[a-z][a-z0-9_]{0,63}$/);

const DAY_MS = 24 * 3600_000;
/** How deep rules nest and how many predicates one holds: a rule is read for every customer it is checked for. */
const MAX_DEPTH = 8;
const MAX_NODES = 64;

const eventPredicate = z.strictObject({
  type: z.union([signalTypeKey, z.array(signalTypeKey).min(1).max(10)]).optional().describe('One type or several'),
  category: categoryPath.optional().describe('Items under this path (the path itself or below it)'),
  within_days: z.number().int().min(1).max(3650).optional().describe('Only events of the last N days; without it, every event kept'),
  count_at_least: z.number().int().min(1).max(1000).default(1),
  amount_at_least: z.number().min(0).max(1e12).optional().describe('The sum of the matching items’ amounts'),
  brand: brandKey.optional(),
  channel: channelKey.optional(),
});
export type EventPredicate = z.output<typeof eventPredicate>;

const scalar = z.union([text().max(200), z.number(), z.boolean()]);
const attributePredicate = z
  .strictObject({ key: attributeKey, equals: scalar.optional(), in: z.array(scalar).min(1).max(50).optional(), exists: z.boolean().optional() })
  .refine((value) => [value.equals, value.in, value.exists].filter((test) => test !== undefined).length === 1, 'name one of equals, in or exists');

export type Rule =
  | { all: Rule[] }
  | { any: Rule[] }
  | { not: Rule }
  | { event: EventPredicate }
  | { attribute: z.output<typeof attributePredicate> }
  | { consent: { purpose: string; state: 'granted' | 'declined' | 'withdrawn' | 'not_asked' } }
  | { brand: string }
  | { segment: string };

export const ruleSchema: z.ZodType<Rule, any> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(ruleSchema).min(1).max(20) }),
    z.strictObject({ any: z.array(ruleSchema).min(1).max(20) }),
    z.strictObject({ not: ruleSchema }),
    z.strictObject({ event: eventPredicate }),
    z.strictObject({ attribute: attributePredicate }),
    z.strictObject({ consent: z.strictObject({ purpose: purposeKey, state: z.enum(['granted', 'declined', 'withdrawn', 'not_asked']).describe('granted: a grant that counts now') }) }),
    z.strictObject({ brand: brandKey.describe('The customer has signed in at a client of this brand') }),
    z.strictObject({ segment: segmentKey.describe('The customer is in that segment (no cycles)') }),
  ]),
);

/** Every node of a rule, depth first, with its depth. */
function* nodes(rule: Rule, depth = 1): Generator<{ rule: Rule; depth: number }> {
  yield { rule, depth };
  if ('all' in rule) for (const child of rule.all) yield* nodes(child, depth + 1);
  else if ('any' in rule) for (const child of rule.any) yield* nodes(child, depth + 1);
  else if ('not' in rule) yield* nodes(rule.not, depth + 1);
}

/** The segments a rule names. */
export function segmentsNamed(rule: Rule): string[] {
  return [...nodes(rule)].flatMap(({ rule: node }) => ('segment' in node ? [node.segment] : []));
}

/** What a rule reads, so a check loads only that. */
export interface RuleNeeds {
  attributes: boolean;
  consents: boolean;
  brands: boolean;
  /** The longest window of an event predicate, in days (a predicate without one reads every event kept). */
  days: number;
}

export function needsOf(rules: Iterable<Rule>, retentionDays: number): RuleNeeds {
  const needs: RuleNeeds = { attributes: false, consents: false, brands: false, days: 0 };
  for (const rule of rules) {
    for (const { rule: node } of nodes(rule)) {
      if ('attribute' in node) needs.attributes = true;
      else if ('consent' in node) needs.consents = true;
      else if ('brand' in node) needs.brands = true;
      else if ('event' in node) needs.days = Math.max(needs.days, node.event.within_days ?? retentionDays);
    }
  }
  return needs;
}

/**
 * Refuses a rule that is too large, names a segment that does not exist, or would make a cycle
 * (`others`: the rules of the other segments by key).
 */
export function checkRule(key: string, rule: Rule, others: ReadonlyMap<string, Rule>, retentionDays: number): void {
  const all = [...nodes(rule)];
  if (all.length > MAX_NODES || all.some((node) => node.depth > MAX_DEPTH)) throw new DomainError('rule_too_large', 400, `A rule holds at most ${MAX_NODES} predicates, nested at most ${MAX_DEPTH} deep`);
  for (const { rule: node } of all) {
    if ('event' in node && (node.event.within_days ?? 0) > retentionDays) throw new DomainError('window_beyond_retention', 400, `Events are kept ${retentionDays} days: a window cannot be longer`);
  }
  const rules = new Map(others).set(key, rule);
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (current: string, path: string[]): void => {
    if (done.has(current)) return;
    if (visiting.has(current)) throw new DomainError('segment_cycle', 400, `The rule refers back to itself: ${[...path, current].join(' → ')}`);
    const found = rules.get(current);
    if (!found) throw new DomainError('unknown_segment', 400, `There is no segment ${current}`);
    visiting.add(current);
    for (const named of segmentsNamed(found)) visit(named, [...path, current]);
    visiting.delete(current);
    done.add(current);
  };
  visit(key, []);
}

export interface SignalItem {
  sku: string;
  category: string;
  quantity: number;
  amount?: number | undefined;
  currency?: string | undefined;
}

export interface Signal {
  type: string;
  occurredAt: number;
  brand: string | null;
  channel: string | null;
  items: SignalItem[];
}

/** What a rule is checked against: one customer's kept signals and, where the rules need them, profile, consent and brands. */
export interface CustomerFacts {
  signals: Signal[];
  attributes: Record<string, unknown>;
  /** Purpose → state; `granted` only when the grant counts now. */
  consents: ReadonlyMap<string, 'granted' | 'declined' | 'withdrawn' | 'not_asked'>;
  brands: ReadonlySet<string>;
}

/** The signal that put a customer in a segment: what the customer reads as the reason. */
export interface Qualifier {
  type: string;
  category: string | null;
  occurred_at: number;
}

export interface Verdict {
  member: boolean;
  reason: Qualifier | null;
  /** The next time the verdict may change by time alone (an event leaves a window), or null. */
  changesAt: number | null;
}

const earliest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const underPath = (category: string, path: string) => category === path || category.startsWith(`${path}/`);

/** Checks rules for one customer at `now`; `ruleOf` gives the rule of a named segment (checked once per customer). */
export class RuleCheck {
  readonly #facts: CustomerFacts;
  readonly #now: number;
  readonly #retentionMs: number;
  readonly #ruleOf: (key: string) => Rule | undefined;
  readonly #named = new Map<string, Verdict>();

  constructor(facts: CustomerFacts, now: number, retentionDays: number, ruleOf: (key: string) => Rule | undefined) {
    this.#facts = facts;
    this.#now = now;
    this.#retentionMs = retentionDays * DAY_MS;
    this.#ruleOf = ruleOf;
  }

  segment(key: string): Verdict {
    const known = this.#named.get(key);
    if (known) return known;
    const rule = this.#ruleOf(key);
    const verdict = rule ? this.check(rule) : { member: false, reason: null, changesAt: null };
    this.#named.set(key, verdict);
    return verdict;
  }

  check(rule: Rule): Verdict {
    if ('all' in rule || 'any' in rule) return this.#combine('all' in rule ? rule.all : rule.any, 'all' in rule);
    if ('not' in rule) {
      const inner = this.check(rule.not);
      return { member: !inner.member, reason: null, changesAt: inner.changesAt };
    }
    if ('event' in rule) return this.#event(rule.event);
    if ('segment' in rule) return this.segment(rule.segment);
    return { member: this.#profile(rule), reason: null, changesAt: null };
  }

  #combine(children: Rule[], every: boolean): Verdict {
    const verdicts = children.map((child) => this.check(child));
    const member = every ? verdicts.every((verdict) => verdict.member) : verdicts.some((verdict) => verdict.member);
    const reason = member ? (verdicts.find((verdict) => verdict.member && verdict.reason)?.reason ?? null) : null;
    return { member, reason, changesAt: verdicts.reduce<number | null>((at, verdict) => earliest(at, verdict.changesAt), null) };
  }

  #profile(rule: Extract<Rule, { attribute: unknown } | { consent: unknown } | { brand: string }>): boolean {
    if ('brand' in rule) return this.#facts.brands.has(rule.brand);
    if ('consent' in rule) return (this.#facts.consents.get(rule.consent.purpose) ?? 'not_asked') === rule.consent.state;
    const { key, equals, in: among, exists } = rule.attribute;
    const value = this.#facts.attributes[key];
    if (exists !== undefined) return (value !== undefined && value !== null) === exists;
    if (equals !== undefined) return value === equals;
    return (among ?? []).some((candidate) => candidate === value);
  }

  /** Matching signals within the window: count and amount decide; the earliest to leave the window is when this may change. */
  #event(predicate: EventPredicate): Verdict {
    const types = predicate.type === undefined ? undefined : [predicate.type].flat();
    const windowMs = predicate.within_days === undefined ? this.#retentionMs : predicate.within_days * DAY_MS;
    let count = 0;
    let amount = 0;
    let latest: Qualifier | null = null;
    let changesAt: number | null = null;
    for (const signal of this.#facts.signals) {
      if (signal.occurredAt <= this.#now - windowMs) continue;
      if (types && !types.includes(signal.type)) continue;
      if (predicate.brand !== undefined && signal.brand !== predicate.brand) continue;
      if (predicate.channel !== undefined && signal.channel !== predicate.channel) continue;
      const items = predicate.category === undefined ? signal.items : signal.items.filter((item) => underPath(item.category, predicate.category!));
      if (predicate.category !== undefined && items.length === 0) continue;
      count += 1;
      amount += items.reduce((sum, item) => sum + (item.amount ?? 0), 0);
      changesAt = earliest(changesAt, signal.occurredAt + windowMs);
      if (!latest || signal.occurredAt > latest.occurred_at) latest = { type: signal.type, category: items[0]?.category ?? null, occurred_at: signal.occurredAt };
    }
    const member = count >= predicate.count_at_least && (predicate.amount_at_least === undefined || amount >= predicate.amount_at_least);
    return { member, reason: member ? latest : null, changesAt };
  }
}
