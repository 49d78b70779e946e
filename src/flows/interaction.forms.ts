import { z } from 'zod';
import { text } from '../validation/text.ts';
import { emailSchema } from '../customers/customer.schemas.ts';

/** What the hosted forms may post. Unknown fields are refused like everywhere else. */
const csrf = text().max(200);
const optionalName = text()
  .trim()
  .max(100)
  .transform((value) => (value === '' ? undefined : value))
  .optional();

export const passwordForm = z.strictObject({
  csrf,
  email: emailSchema,
  password: text().min(1).max(1024),
});

export const signUpForm = z.strictObject({
  csrf,
  email: emailSchema,
  password: text().min(1).max(1024),
  given_name: optionalName,
  family_name: optionalName,
});

export const consentForm = z.strictObject({
  csrf,
  decision: z.enum(['allow', 'deny']),
});

export const uidParams = z.strictObject({ uid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
