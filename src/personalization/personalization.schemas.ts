import { z } from 'zod';
import { brandKey } from '../validation/brand-key.ts';
import { nameText, text } from '../validation/text.ts';
import { categoryPath, channelKey, ruleSchema, segmentKey, signalTypeKey } from './segment-rules.ts';

export const systemKey = text().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'a system key such as webshop');

const item = z.strictObject({
  sku: text().trim().min(1).max(100),
  category: categoryPath,
  quantity: z.number().int().min(1).max(100_000).default(1),
  amount: z.number().min(-1e9).max(1e9).optional().describe('What the items cost together, in `currency`'),
  currency: text().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as SEK').optional(),
});

/** `system:reference`, e.g. webshop:W-1042: the customer's id in a system on the data map. */
const customerRef = text().max(300).regex(/^[a-z][a-z0-9_-]{1,63}:.+$/, 'system:reference, such as webshop:W-1042');

export const signalInput = z.strictObject({
  id: text().trim().min(1).max(200).describe("The event's id in the reporting system: the same id twice is kept once"),
  customer: z.union([z.strictObject({ id: z.uuid() }), z.strictObject({ ref: customerRef })]).describe('The customer by Portvakt id, or by their reference in a system'),
  type: signalTypeKey.describe('purchase, return, view, cart, or a declared type'),
  occurred_at: z.iso.datetime({ offset: true }).describe('When it happened (ISO 8601); at most a minute ahead of the server'),
  channel: channelKey.optional(),
  brand: brandKey.optional(),
  items: z.array(item).max(200).default([]),
});
export type SignalInput = z.output<typeof signalInput>;

export const signalBatch = z.strictObject({
  system: systemKey.describe('The data-map system reporting; an integration key must speak for it'),
  events: z.array(signalInput).min(1).max(1000),
});
export type SignalBatch = z.output<typeof signalBatch>;

export const ingestOutput = z.object({
  accepted: z.number().int(),
  duplicate: z.number().int(),
  dropped: z.object({ no_consent: z.number().int(), past_retention: z.number().int() }).describe('Events not kept, per reason: no counting grant of the gating purpose, or older than the retention'),
});

const segmentText = z.strictObject({
  title: nameText().trim().min(1).max(120).describe('What the customer reads as the segment, e.g. "Recently bought a fridge"'),
  reason: text().trim().min(1).max(300).describe('Why, in plain words; {date} is the date of the signal that qualified, e.g. "You bought a fridge on {date}"'),
});
export const segmentTexts = z.strictObject({ sv: segmentText, en: segmentText });

export const segmentCreate = z.strictObject({ key: segmentKey, rule: ruleSchema, texts: segmentTexts });
export const segmentUpdate = z.strictObject({ rule: ruleSchema.optional(), texts: segmentTexts.optional() });

export const segmentOutput = z.object({
  key: z.string(),
  rule: z.unknown(),
  texts: segmentTexts,
  built: z.boolean().describe('False while the first look at every customer under the consent runs'),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});

export const membershipOutput = z.object({
  segment: z.string(),
  entered_at: z.number().int(),
  reason: z.object({ type: z.string(), category: z.string().nullable(), occurred_at: z.number().int() }).nullable(),
});
