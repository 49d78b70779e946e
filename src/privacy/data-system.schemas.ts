import { z } from 'zod';
import { nameText, text } from '../validation/text.ts';

const key = (example: string) => text().regex(/^[a-z][a-z0-9_-]{1,63}$/, `must be lowercase letters, digits, _ and - such as ${example}`);

/** The system key Portvakt itself has on the data map; no configured system may take it. */
export const PORTVAKT_SYSTEM = 'portvakt';

export const systemKey = key('crm').refine((value) => value !== PORTVAKT_SYSTEM, `${PORTVAKT_SYSTEM} is Portvakt itself`);
export const category = key('purchase_history').describe('contact, purchase_history, payment, behaviour, support_conversations, loyalty …');

export const LEGAL_BASES = ['consent', 'contract', 'legal_obligation', 'legitimate_interests', 'vital_interests', 'public_task'] as const;

export const retentionRule = z.strictObject({
  rule: key('bookkeeping').describe('Name of the rule, such as bookkeeping'),
  description: text().trim().min(1).max(500).describe('The rule in words, e.g. "Bokföringslagen 7 kap. 2 §: 7 years after the fiscal year ends"'),
  years: z.number().int().min(1).max(30),
  fiscal_year_end: text()
    .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'MM-DD')
    .refine(isDayOfYear, 'a day that exists, MM-DD (02-29 is the last day of February)')
    .default('12-31')
    .describe('Retention runs from the end of the fiscal year in which the request arrives (the latest a record of the customer can date from)'),
});
export type RetentionRule = z.infer<typeof retentionRule>;

/** Days in each month of a leap year: 29 February is a fiscal year end (the last day of February). */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function isDayOfYear(value: string): boolean {
  const [month = 0, day = 0] = value.split('-').map(Number);
  return day <= (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** What a system can key its customers by; a privacy task tells the system those it declared and the customer has. */
export const IDENTIFIERS = ['reference', 'email', 'phone'] as const;
export type Identifier = (typeof IDENTIFIERS)[number];
const identifiedBy = z
  .array(z.enum(IDENTIFIERS))
  .min(1)
  .max(IDENTIFIERS.length)
  .refine((list) => new Set(list).size === list.length, 'each identifier once')
  .describe("How the system keys its customers: its own reference (set with PUT /customers/:id/references/:system), the e-mail address, the phone number, or several. A privacy task sends those the customer has; with none it is not_identified and the system is not called");

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

const fields = {
  name: nameText().trim().min(1).max(120),
  categories: z.array(category).min(1).max(30),
  legal_basis: z.enum(LEGAL_BASES),
  retention: retentionRule.nullable().describe('A legal hold: the system is asked to restrict (keep, pseudonymize, stop processing), and erased when it ends'),
  access: z.enum(['api', 'callback', 'manual']).describe('api: Portvakt calls the system and takes its answer; callback: the system confirms later on a signed callback; manual: an operator task'),
  endpoint: url.nullable().describe('Base URL of the system contract (POST {endpoint}/erasure, {endpoint}/export); api and callback only'),
  checklist: z.array(text().trim().min(1).max(300)).max(30).nullable().describe('What the operator must do; manual only'),
  identified_by: identifiedBy,
};

function accessRules(value: { access?: string; endpoint?: string | null; checklist?: string[] | null }, ctx: z.RefinementCtx): void {
  if (value.access === undefined) return;
  if (value.access === 'manual' && !value.checklist?.length) ctx.addIssue({ code: 'custom', path: ['checklist'], message: 'a manual system needs a checklist' });
  if (value.access === 'manual' && value.endpoint) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'a manual system has no endpoint' });
  if (value.access !== 'manual' && !value.endpoint) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: `an ${value.access} system needs an endpoint` });
}

export const systemCreate = z
  .strictObject({
    key: systemKey,
    ...fields,
    retention: fields.retention.default(null),
    endpoint: fields.endpoint.default(null),
    checklist: fields.checklist.default(null),
    identified_by: fields.identified_by.default(['reference']),
  })
  .superRefine(accessRules);
export type SystemInput = z.infer<typeof systemCreate>;

/** A change names what changes; the rules between access, endpoint and checklist hold for the result. */
export const systemPatch = z.strictObject(fields).partial();
export type SystemPatch = z.infer<typeof systemPatch>;
export const checkAccessRules = (value: SystemInput) => systemCreate.safeParse(value);

export const systemOutput = z.object({
  key: z.string(),
  name: z.string(),
  categories: z.array(z.string()),
  legal_basis: z.string(),
  retention: z.object({ rule: z.string(), description: z.string(), years: z.number(), fiscal_year_end: z.string() }).nullable(),
  access: z.enum(['api', 'callback', 'manual', 'builtin']),
  endpoint: z.string().nullable(),
  checklist: z.array(z.string()).nullable(),
  identified_by: z.array(z.enum(IDENTIFIERS)),
  secret: z.string().optional().describe('Shown once, at creation: signs requests to the system and its callbacks (Standard Webhooks)'),
  version: z.number().int(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
