import { z } from 'zod';
import { emailSchema, phoneSchema } from '../customers/customer.schemas.ts';
import { nameText, text } from '../validation/text.ts';
import { ScimError } from './scim-errors.ts';

/** A User as SCIM shows it (RFC 7643 §4.1), the attributes Portvakt keeps. */
export interface ScimUser {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  name?: { givenName?: string; familyName?: string };
  emails: Array<{ value: string; primary: boolean }>;
  phoneNumbers?: Array<{ value: string; primary: boolean }>;
  active: boolean;
  meta: { resourceType: 'User'; created: string; lastModified: string; version: string };
}

/** What a User resource sets on a customer; absent attributes are null (a PUT replaces the whole resource). */
export interface UserFields {
  email: string;
  givenName: string | null;
  familyName: string | null;
  phone: string | null;
  active: boolean;
  externalId: string | null;
  password: string | undefined;
}

const name = nameText().trim().min(1).max(100);
const multiValued = z.array(z.looseObject({ value: text().max(254), primary: z.boolean().optional(), type: z.string().optional() })).max(10);

/**
 * The attributes read from a body; others a provisioning system sends (`displayName`, `title`,
 * enterprise extensions) are ignored, as RFC 7644 §3.3 allows for attributes the provider does not
 * keep. `id` and `meta` are the server's and ignored too.
 */
const userBody = z.looseObject({
  userName: emailSchema,
  externalId: text().trim().min(1).max(200).nullable().optional(),
  name: z.looseObject({ givenName: name.nullable().optional(), familyName: name.nullable().optional() }).nullable().optional(),
  emails: multiValued.nullable().optional(),
  phoneNumbers: multiValued.nullable().optional(),
  active: z.boolean().optional(),
  password: text().min(1).max(1024).optional(),
});

/** The fields of a User body, or 400 `invalidValue` naming the first attribute that is not right. */
export function userFields(body: unknown): UserFields {
  const parsed = userBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ScimError(400, 'invalidValue', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const user = parsed.data;
  // userName is the address a customer signs in with; a different primary e-mail would be a second one Portvakt does not keep.
  const primaryEmail = (user.emails ?? []).find((email) => email.primary) ?? user.emails?.[0];
  if (primaryEmail && primaryEmail.value.toLowerCase() !== user.userName) throw new ScimError(400, 'invalidValue', 'emails: the primary address must be the userName');
  const phoneEntry = (user.phoneNumbers ?? []).find((phone) => phone.primary) ?? user.phoneNumbers?.[0];
  const phone = phoneEntry ? phoneSchema.safeParse(phoneEntry.value) : undefined;
  if (phone && !phone.success) throw new ScimError(400, 'invalidValue', 'phoneNumbers: must be an E.164 number such as +46701234567');
  return {
    email: user.userName,
    givenName: user.name?.givenName ?? null,
    familyName: user.name?.familyName ?? null,
    phone: phone?.data ?? null,
    active: user.active ?? true,
    externalId: user.externalId ?? null,
    password: user.password,
  };
}
