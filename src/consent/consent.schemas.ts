import { z } from 'zod';
import { brandKey } from '../validation/brand-key.ts';
import { nameText, text } from '../validation/text.ts';

const localizedText = z.strictObject({
  title: nameText().trim().min(1).max(120),
  description: text().trim().min(1).max(2000).describe('What the customer agrees to, in plain words'),
  legal_text: text().trim().min(1).max(20000),
});
export const purposeTexts = z.strictObject({ sv: localizedText, en: localizedText });
export type PurposeTexts = z.infer<typeof purposeTexts>;

export const purposeKey = text().regex(/^[a-z][a-z0-9_]{1,63}$/, 'must be lowercase letters, digits and _ such as social_media_ads');

export const purposeCreate = z.strictObject({
  key: purposeKey,
  required: z.boolean().default(false),
  brand: brandKey.nullable().default(null).describe('Shown only at clients of this brand; null: group-wide'),
  texts: purposeTexts,
});

export const purposeVersionCreate = z.strictObject({
  texts: purposeTexts.optional().describe('The new texts; omitted: the current texts again (with requires_fresh_consent, to ask everyone again)'),
  requires_fresh_consent: z.boolean().describe('True when earlier grants must not carry over: customers are asked again at their next sign-in (the texts may then stay the same)'),
});

export const purposeOutput = z.object({
  key: z.string(),
  required: z.boolean(),
  brand: z.string().nullable(),
  version: z.number().int(),
  text_hash: z.string(),
  requires_fresh_consent: z.boolean(),
  texts: purposeTexts,
  created_at: z.number().int(),
});

/** Unix seconds up to the year 9999, or ISO 8601 with an offset: when a platform captured a decision, in ms. */
const capturedAt = z
  .union([z.iso.datetime({ offset: true }), z.number().int().min(0).max(253_402_300_799)])
  .transform((value) => (typeof value === 'number' ? value * 1000 : Date.parse(value)))
  .describe('When the platform captured the decision: ISO 8601 (2026-03-03T10:15:00Z) or unix seconds');

export const platformSource = z.strictObject({
  platform: nameText().trim().min(1).max(100).describe('The consent-management platform that recorded the decision, as the customer would know it ("Didomi")'),
  record_id: text().min(1).max(200).describe("The platform's own id of its record; the same record twice is answered as a duplicate and stored once"),
  captured_at: capturedAt,
  proof: text().min(1).max(10_000).optional().describe('Proof the platform keeps: a TCF consent string or a document hash'),
});
export type PlatformSource = z.infer<typeof platformSource>;

const decisionFields = {
  purpose: purposeKey,
  version: z.number().int().min(1).describe('The version the customer decided on: the current one; for a platform decision, any version the purpose has had'),
  decision: z.enum(['granted', 'declined', 'withdrawn']),
  channel: z.enum(['web', 'app', 'store', 'phone']),
  locale: z.enum(['sv', 'en']),
  agent_id: text().min(1).max(100).optional().describe('admin and agent callers (required): the customer-service agent who took the decision from the customer; integration callers: not allowed'),
  source: platformSource.optional().describe('Where the decision was recorded: required from an integration key (a consent-management platform), optional for an admin or agent relaying one. The later capture time wins; an older one arriving late is kept as history and changes nothing'),
};
export const decisionInput = z.strictObject(decisionFields);
export type DecisionInput = z.infer<typeof decisionInput>;

export const DECISION_BATCH_MAX = 1000;
/** The JSON a batch may take: 1,000 decisions with proofs of some kilobytes (a TCF string is usually well under one). */
export const DECISION_BATCH_BYTES = 4 * 1024 * 1024;
export const decisionBatch = z.strictObject({
  decisions: z
    .array(z.strictObject({ customer_id: z.uuid(), ...decisionFields }))
    .min(1)
    .max(DECISION_BATCH_MAX)
    .describe('Up to 1,000 decisions, recorded in one transaction: a refused one (its index in `details.index`) writes none'),
});

export const decisionRecorded = z.object({
  recorded: z.literal(true),
  counted: z.boolean().describe('false: an older platform decision that arrived after a newer one, kept in the ledger as history; it changes nothing'),
  duplicate: z.boolean().describe('The platform record was already in the ledger: not stored again (counted: as when first recorded)'),
});

export const sourceOutput = z
  .object({ platform: z.string(), record_id: z.string(), captured_at: z.number().int().describe('unix seconds'), proof: z.string().nullable() })
  .nullable()
  .describe('The consent-management platform that recorded the decision; null: taken here');

export const consentStateOutput = z.object({
  purpose: z.string(),
  state: z.enum(['granted', 'declined', 'withdrawn', 'not_asked']),
  version: z.number().int().nullable(),
  current_version: z.number().int(),
  decided_at: z.number().int().nullable(),
  effective: z.boolean().describe('Granted, and the grant still counts (no later version asked for fresh consent)'),
});

export const consentRecordOutput = z.object({
  id: z.string(),
  purpose: z.string(),
  version: z.number().int(),
  decision: z.enum(['granted', 'declined', 'withdrawn']),
  text_hash: z.string(),
  locale: z.string(),
  channel: z.string(),
  client_id: z.string().nullable(),
  brand: z.string().nullable().describe('The brand of the client the decision was given at'),
  actor_type: z.enum(['customer', 'agent']),
  actor_id: z.string().nullable(),
  recorded_at: z.number().int(),
  source: sourceOutput,
  counted: z.boolean().describe('false: kept as history only (an older platform decision that arrived late)'),
});
