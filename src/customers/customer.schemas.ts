import { z } from 'zod';
import { nameText, text } from '../validation/text.ts';

const name = nameText().trim().min(1).max(100);
export const emailSchema = text()
  .trim()
  .max(254)
  .pipe(z.email({ error: 'must be an e-mail address' }))
  .transform((value) => value.toLowerCase());
export const localeSchema = text().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag such as sv or en-GB');
/** E.164: a plus, the country code and the number, no spaces (what SMS providers take). */
export const phoneSchema = text().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +46701234567');
/** Length and commonness are the password policy's job; this only bounds the input. */
const passwordInput = text().min(1).max(1024);

export const customerCreateSchema = z.strictObject({
  email: emailSchema,
  email_verified: z.boolean().default(false),
  password: passwordInput.optional(),
  phone_number: phoneSchema.optional(),
  phone_number_verified: z.boolean().default(false),
  given_name: name.optional(),
  family_name: name.optional(),
  locale: localeSchema.optional(),
});
/** What creating a customer takes (the verified flags default to false). */
export type CustomerCreate = z.input<typeof customerCreateSchema>;

export const customerPatchSchema = z.strictObject({
  email: emailSchema.optional(),
  email_verified: z.boolean().optional(),
  password: passwordInput.optional(),
  phone_number: phoneSchema.nullable().optional(),
  phone_number_verified: z.boolean().optional(),
  given_name: name.nullable().optional(),
  family_name: name.nullable().optional(),
  locale: localeSchema.nullable().optional(),
  status: z.enum(['active', 'disabled']).optional(),
});
export type CustomerPatch = z.infer<typeof customerPatchSchema>;

export const customerOutputSchema = z.object({
  id: z.string(),
  email: z.string(),
  email_verified: z.boolean(),
  phone_number: z.string().nullable(),
  phone_number_verified: z.boolean(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  locale: z.string().nullable(),
  status: z.enum(['active', 'disabled']),
  has_password: z.boolean(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type CustomerOutput = z.infer<typeof customerOutputSchema>;

export const customerListSchema = z.object({
  customers: z.array(customerOutputSchema),
  next: z.string().nullable().describe('Where the next page starts, as after; null when there is no more'),
});
export const customerQuerySchema = z.strictObject({
  email: emailSchema.optional(),
  phone: phoneSchema.optional().describe('E.164, proven or not'),
  ref: text()
    .regex(/^[a-z][a-z0-9_-]{1,63}:[^\s].{0,199}$/s, 'system:reference, such as crm:4711')
    .optional()
    .describe("The customer's id in another system, as system:reference"),
  name: nameText()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('The start of the given and/or family name, any order, case and accents ignored: ann, ÖB, ann ander (at least two letters)'),
  limit: z.coerce.number().int().min(1).max(500).optional().describe('Customers a page: a name search 20 by default, at most 100; the admin list 100 by default, at most 500'),
  after: text().max(1200).optional().describe('Where the page starts: the next value of the previous page (the admin list also takes the last id)'),
});
