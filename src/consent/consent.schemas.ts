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

export const decisionInput = z.strictObject({
  purpose: purposeKey,
  version: z.number().int().min(1),
  decision: z.enum(['granted', 'declined', 'withdrawn']),
  channel: z.enum(['web', 'app', 'store', 'phone']),
  locale: z.enum(['sv', 'en']),
  agent_id: text().min(1).max(100).describe('The customer-service agent who took the decision from the customer'),
});

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
});
