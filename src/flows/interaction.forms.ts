import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { nameText, text } from '../validation/text.ts';
import { emailSchema } from '../customers/customer.schemas.ts';

/** What the hosted forms may post. Unknown fields are refused like everywhere else. */
const csrf = text().max(200);
const optionalName = nameText()
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


export const uidParams = z.strictObject({ uid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

const optionalPassword = text()
  .max(1024)
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** Sign-in "email me a code" and sign-up (verify-first; the password is optional) post here. */
/** A form field that may be sent once or repeated (checkboxes): always an array here. */
const oneOrMany = <T extends z.ZodType<string>>(item: T) =>
  z
    .union([item, z.array(item).max(50)])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .optional();

export const emailCodeForm = z.strictObject({
  csrf,
  intent: z.enum(['sign_in', 'sign_up']),
  email: emailSchema,
  password: optionalPassword,
  given_name: optionalName,
  family_name: optionalName,
  /** The optional purposes ticked. */
  consent: oneOrMany(text().regex(/^[a-z][a-z0-9_]{1,63}$/)),
  /** Every purpose shown, as key:version: each one is a decision (ticked or not). */
  shown: oneOrMany(text().regex(/^[a-z][a-z0-9_]{1,63}:\d{1,6}$/)),
  consent_all: z.enum(['accept', 'reject']).optional(),
});

/** The consent screen: allow or deny the client, and the purposes it asked for ("accept/reject all" allow too). */
export const consentForm = emailCodeForm.pick({ csrf: true, consent: true, shown: true, consent_all: true }).extend({ decision: z.enum(['allow', 'deny']).default('allow') });

export const codeForm = z.strictObject({ csrf, code: text().max(40) });
export const forgotForm = z.strictObject({ csrf, email: emailSchema });
export const newPasswordForm = z.strictObject({ csrf, password: text().min(1).max(1024) });
export const enrolTotpForm = z.strictObject({ csrf, ticket: text().max(4096), code: text().max(40) });
export const continueForm = z.strictObject({ csrf });
export const linkQuery = z.strictObject({ token: z.string().max(128) });
/** The token of a link from a mail (`?token=…`); a malformed query is a 400 `link_expired`. */
export function linkToken(query: unknown): string {
  const parsed = linkQuery.safeParse(query);
  if (!parsed.success) throw new DomainError('link_expired', 400, 'The link is malformed');
  return parsed.data.token;
}
/** The browser's WebAuthn answer, posted by the passkey script as JSON text in a form field. */
export const passkeyForm = z.strictObject({ csrf, response: text().max(16_000) });
/** A phone number as people type it: spaces, dashes and brackets are dropped, then it must be E.164. */
export const phoneForm = z.strictObject({
  csrf,
  phone: text()
    .max(40)
    .transform((value) => value.replace(/[\s().-]/g, ''))
    .pipe(z.string().regex(/^\+[1-9]\d{6,14}$/)),
});
