import { z } from 'zod';
import { LOCALES, type Locale } from '../../i18n/locale.ts';
import { MESSAGE_TEXTS, type MessageKind } from './message-texts.ts';

/** The texts of a message a brand may word its own way, and the placeholders each message fills. */
export const TEMPLATE_TEXTS = ['subject', 'lead', 'codeLabel', 'linkLabel', 'expiry', 'ignore'] as const;
export const TEMPLATE_PLACEHOLDERS = ['brand', 'minutes', 'code'] as const;
const MESSAGE_KINDS = Object.keys(MESSAGE_TEXTS.en) as MessageKind[];

/** A brand's overrides: locale → message kind → text → template. Absent texts keep the group's wording. */
export type BrandTemplates = Partial<Record<Locale, Partial<Record<MessageKind, Partial<Record<(typeof TEMPLATE_TEXTS)[number], string>>>>>>;

/**
 * One template: plain text (the HTML part of a mail escapes it; markup is refused, so nobody
 * believes a `<a>` or `<script>` would work), one line, bounded, and only the known placeholders.
 */
const template = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .refine((value) => !/[<>]/.test(value), 'plain text: no markup (< or >)')
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'one line, no control characters')
  .refine((value) => [...value.matchAll(/\{(\w*)\}/g)].every((match) => (TEMPLATE_PLACEHOLDERS as readonly string[]).includes(match[1]!)), `placeholders: ${TEMPLATE_PLACEHOLDERS.map((name) => `{${name}}`).join(', ')}`);

const kindTexts = z.strictObject(Object.fromEntries(TEMPLATE_TEXTS.map((text) => [text, template.optional()])) as Record<(typeof TEMPLATE_TEXTS)[number], z.ZodOptional<typeof template>>);
const localeTemplates = z.strictObject(Object.fromEntries(MESSAGE_KINDS.map((kind) => [kind, kindTexts.optional()])) as Record<MessageKind, z.ZodOptional<typeof kindTexts>>);

/** `PUT /brands/:key/templates`: every locale, kind and text known, every template valid; `{}` returns to the group's wording. */
export const brandTemplatesInput = z.strictObject(Object.fromEntries(LOCALES.map((locale) => [locale, localeTemplates.optional()])) as Record<Locale, z.ZodOptional<typeof localeTemplates>>);
