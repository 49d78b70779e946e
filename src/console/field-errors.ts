import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import type { ConsoleTranslate } from '../i18n/console-locale.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';

/** What the console says of a zod issue, in the page's language (never zod's English). */
function issueText(issue: { code: string; format?: string; minimum?: unknown; input?: unknown }, t: ConsoleTranslate): string {
  if (issue.code === 'invalid_format' && issue.format === 'email') return t('error.email');
  if (issue.code === 'too_small' && (issue.input === undefined || issue.input === '' || issue.minimum === 1)) return t('error.required');
  if (issue.code === 'invalid_type' && issue.input === undefined) return t('error.required');
  return t('error.invalid');
}

/**
 * A refused form's errors by field: zod's issues from the console's own form schema, or the
 * `validation_failed` details (`body.email` …) and domain refusals an operation answered. A field
 * the form does not show, and any other refusal, become the form's own error (`''`).
 */
export function fieldErrors(error: z.ZodError | DomainError, t: ConsoleTranslate, fields: readonly string[] = []): FieldErrors {
  const errors: FieldErrors = {};
  if (error instanceof z.ZodError) {
    for (const issue of error.issues) errors[String(issue.path[0] ?? '')] ??= issueText(issue as never, t);
    return errors;
  }
  if (error.code === 'validation_failed' && Array.isArray(error.details)) {
    for (const detail of error.details as Array<{ path?: string }>) {
      const field = String(detail.path ?? '').split('.')[1] ?? '';
      errors[fields.includes(field) ? field : ''] ??= t('error.invalid');
    }
    return errors;
  }
  return { '': domainText(error, t) };
}

/** A refusal in the page's language where the console has a text for its code, else the operation's own message. */
export function domainText(error: DomainError, t: ConsoleTranslate): string {
  const key = `error.${error.code}` as ConsoleKey;
  const params = { seconds: String((error.details as { retry_after?: number } | undefined)?.retry_after ?? ''), message: error.message, min: String((error.details as { min_length?: number } | undefined)?.min_length ?? '') };
  const text = t(key, params);
  return text === key ? t('error.conflict', params) : text;
}
