import { DomainError } from '../errors/domain-error.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import type { ConsoleTranslate } from '../i18n/console-locale.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { domainText } from './field-errors.ts';

/**
 * A refusal the form is drawn again with (a 4xx the operator can correct); anything else — a
 * role the operation refuses, a missing record, a failure on our side — is thrown on as it is.
 */
export function correctable(error: unknown): DomainError {
  if (error instanceof DomainError && error.status >= 400 && error.status < 500 && error.status !== 403 && error.status !== 404) return error;
  throw error;
}

export interface RefusalMap {
  /** The form field a `validation_failed` detail names (`body.texts.sv.title` → `sv_title`); undefined: the form's own error. */
  field: (path: string[]) => string | undefined;
  /** Known refusal codes: the field they belong to (`''`: the form) and the text that says it. */
  codes?: Record<string, [string, ConsoleKey]>;
  /** A text for a field instead of the generic "check this field". */
  texts?: Record<string, ConsoleKey>;
}

/** An operation's refusal as field errors in the page's language (never the API's English or a raw code). */
export function refusalFields(error: DomainError, t: ConsoleTranslate, map: RefusalMap): FieldErrors {
  const errors: FieldErrors = {};
  const known = map.codes?.[error.code];
  if (known) return { [known[0]]: t(known[1]) };
  if ((error.code === 'validation_failed' || error.code === 'unknown_field') && Array.isArray(error.details)) {
    for (const detail of error.details as Array<{ path?: string }>) {
      const field = map.field(String(detail.path ?? '').split('.').slice(1)) ?? '';
      const text = map.texts?.[field];
      errors[field] ??= text ? t(text) : field ? t('error.invalid') : t('admin.error.form');
    }
    return errors;
  }
  return { '': domainText(error, t) };
}

/** The form's own errors with the specific texts of some fields (a console form's zod issues, already in the page's language). */
export function withTexts(errors: FieldErrors, t: ConsoleTranslate, texts: Record<string, ConsoleKey>): FieldErrors {
  return Object.fromEntries(Object.entries(errors).map(([field, text]) => [field, texts[field] && text !== t('error.required') ? t(texts[field]) : text]));
}
