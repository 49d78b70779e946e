import { describe, expect, it } from 'vitest';
import { checkRule, needsOf, RuleCheck, ruleSchema, type CustomerFacts, type Rule } from './segment-rules.ts';

const DAY = 24 * 3600_000;
const NOW = Date.UTC(2026, 11, 7, 12);
const purchase = (daysAgo: number, category: string, amount?: number, extra: Partial<{ brand: string; channel: string; type: string }> = {}) => ({
  type: extra.type ?? 'purchase',
  occurredAt: NOW - daysAgo * DAY,
  brand: extra.brand ?? null,
  channel: extra.channel ?? null,
  items: [{ sku: 'x', category, quantity: 1, ...(amount === undefined ? {} : { amount }) }],
});
const facts = (overrides: Partial<CustomerFacts> = {}): CustomerFacts => ({ signals: [], attributes: {}, consents: new Map(), brands: new Set(), ...overrides });
const check = (rule: Rule, given: CustomerFacts, rules: Record<string, Rule> = {}) => new RuleCheck(given, NOW, 365, (key) => rules[key]).check(rule);

describe('segment rules', () => {
  it('matches a category path and its children only, within the window, and says when the window lets go', () => {
    const rule: Rule = { event: { type: 'purchase', category: 'home/white-goods/fridges', within_days: 180, count_at_least: 1 } };
    const bought = facts({ signals: [purchase(170, 'home/white-goods/fridges/american'), purchase(3, 'home/white-goods/fridges-and-more')] });
    const verdict = check(rule, bought);
    expect(verdict).toEqual({ member: true, reason: { type: 'purchase', category: 'home/white-goods/fridges/american', occurred_at: NOW - 170 * DAY }, changesAt: NOW + 10 * DAY });
    expect(check(rule, facts({ signals: [purchase(181, 'home/white-goods/fridges')] })).member).toBe(false);
    expect(check(rule, facts({ signals: [purchase(1, 'home/white-goods/fridges', undefined, { type: 'view' })] })).member).toBe(false);
  });

  it('counts events and sums amounts of the matching items; brand and channel narrow', () => {
    const signals = [purchase(1, 'home/kitchen', 400, { brand: 'hemma', channel: 'store' }), purchase(2, 'home/kitchen', 700, { brand: 'hemma', channel: 'web' }), purchase(3, 'garden', 5000)];
    expect(check({ event: { category: 'home', count_at_least: 2 } }, facts({ signals })).member).toBe(true);
    expect(check({ event: { category: 'home', count_at_least: 3 } }, facts({ signals })).member).toBe(false);
    expect(check({ event: { category: 'home', count_at_least: 1, amount_at_least: 1100 } }, facts({ signals })).member).toBe(true);
    expect(check({ event: { category: 'home', count_at_least: 1, amount_at_least: 1101 } }, facts({ signals })).member).toBe(false);
    expect(check({ event: { count_at_least: 1, brand: 'hemma', channel: 'store' } }, facts({ signals })).member).toBe(true);
    expect(check({ event: { count_at_least: 2, brand: 'hemma', channel: 'store' } }, facts({ signals })).member).toBe(false);
    // Without a window every event kept counts, until the retention lets it go.
    expect(check({ event: { category: 'garden', count_at_least: 1 } }, facts({ signals })).changesAt).toBe(NOW - 3 * DAY + 365 * DAY);
  });

  it('combines all, any and not over attributes, consent, brands and other segments', () => {
    const given = facts({ attributes: { shoe_size: '42', vip: true }, consents: new Map([['newsletter', 'granted' as const]]), brands: new Set(['hemma']) });
    expect(check({ all: [{ attribute: { key: 'shoe_size', in: ['41', '42'] } }, { attribute: { key: 'vip', equals: true } }] }, given).member).toBe(true);
    expect(check({ any: [{ attribute: { key: 'birthdate', exists: true } }, { brand: 'outlet' }] }, given).member).toBe(false);
    expect(check({ not: { consent: { purpose: 'newsletter', state: 'granted' } } }, given).member).toBe(false);
    expect(check({ consent: { purpose: 'partner_sharing', state: 'not_asked' } }, given).member).toBe(true);
    expect(check({ segment: 'hemma_vip' }, given, { hemma_vip: { all: [{ brand: 'hemma' }, { attribute: { key: 'vip', equals: true } }] } }).member).toBe(true);
  });

  it('refuses cycles, unknown segments, windows beyond the retention and unknown fields', () => {
    const others = new Map<string, Rule>([
      ['a', { segment: 'b' }],
      ['b', { event: { count_at_least: 1 } }],
    ]);
    expect(() => checkRule('c', { segment: 'a' }, others, 365)).not.toThrow();
    expect(() => checkRule('b', { segment: 'a' }, others, 365)).toThrow(expect.objectContaining({ code: 'segment_cycle' }));
    expect(() => checkRule('c', { segment: 'c' }, others, 365)).toThrow(expect.objectContaining({ code: 'segment_cycle' }));
    expect(() => checkRule('c', { segment: 'zz' }, others, 365)).toThrow(expect.objectContaining({ code: 'unknown_segment' }));
    expect(() => checkRule('c', { event: { within_days: 366, count_at_least: 1 } }, others, 365)).toThrow(expect.objectContaining({ code: 'window_beyond_retention' }));
    const deep = Array.from({ length: 9 }).reduce<Rule>((inner) => ({ not: inner }), { brand: 'hemma' });
    expect(() => checkRule('c', deep, others, 365)).toThrow(expect.objectContaining({ code: 'rule_too_large' }));
    expect(ruleSchema.safeParse({ event: { type: 'purchase', colour: 'white' } }).success).toBe(false);
    expect(ruleSchema.safeParse({ all: [] }).success).toBe(false);
    expect(ruleSchema.safeParse({ attribute: { key: 'x', equals: 1, exists: true } }).success).toBe(false);
    expect(ruleSchema.safeParse({ event: { category: 'Home//Fridges' } }).success).toBe(false);
  });

  it('reads only what the rules need', () => {
    expect(needsOf([{ all: [{ event: { within_days: 30, count_at_least: 1 } }, { brand: 'x' }] }], 365)).toEqual({ attributes: false, consents: false, brands: true, days: 30 });
    expect(needsOf([{ event: { count_at_least: 1 } }, { consent: { purpose: 'p', state: 'granted' } }], 365)).toEqual({ attributes: false, consents: true, brands: false, days: 365 });
  });
});
