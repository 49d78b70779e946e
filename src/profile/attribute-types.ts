import { z } from 'zod';
import { emailSchema, phoneSchema } from '../customers/customer.schemas.ts';
import { nameText, text } from '../validation/text.ts';

export const ATTRIBUTE_TYPES = ['text', 'email', 'phone', 'date', 'address', 'enum', 'boolean'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/**
 * When an attribute is asked on the hosted pages:
 * - `sign_up`: once the account exists (at the sign-in that created it, or the next), until given;
 * - `when_requested`: when a client asks for it (scope or `claims` parameter), until given;
 * - `never`: only set through the API or the account.
 */
export const ATTRIBUTE_ASK = ['sign_up', 'when_requested', 'never'] as const;
export type AttributeAsk = (typeof ATTRIBUTE_ASK)[number];

/** OpenID Connect's address claim (Core §5.1.1), the parts people type. */
export const addressSchema = z.strictObject({
  street_address: nameText().trim().min(1).max(200),
  postal_code: text().trim().min(1).max(20).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes'),
  locality: nameText().trim().min(1).max(100),
  country: text().trim().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as SE'),
});
export type Address = z.infer<typeof addressSchema>;

/** A calendar date, YYYY-MM-DD, that exists, between 1900 and today. */
const dateSchema = text().refine((value) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) && Number(match[1]) >= 1900 && date.getTime() <= Date.now();
}, 'a date YYYY-MM-DD that exists, from 1900 to today');

/** The schema a value of this type must meet. */
export function valueSchema(type: AttributeType, options: readonly string[] | null): z.ZodType<unknown> {
  switch (type) {
    case 'text':
      return text().trim().min(1).max(200);
    case 'email':
      return emailSchema;
    case 'phone':
      return phoneSchema;
    case 'date':
      return dateSchema;
    case 'address':
      return addressSchema;
    case 'enum':
      return z.enum((options ?? []) as [string, ...string[]]);
    case 'boolean':
      return z.boolean();
  }
}

/** A type or an ask setting read back from storage; a value this code does not know is a corrupt row. */
export function storedValue<T extends string>(allowed: readonly T[], value: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`unknown value in storage: ${value}`);
  return value as T;
}
