import type { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';

/** Turns zod issues into a stable 400: `unknown_field` for extra keys, else `validation_failed`. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query' | 'params'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
    ...(issue.code === 'unrecognized_keys' ? { keys: issue.keys } : {}),
  }));
  const unknownField = result.error.issues.some((issue) => issue.code === 'unrecognized_keys');
  throw new DomainError(
    unknownField ? 'unknown_field' : 'validation_failed',
    400,
    unknownField ? 'The request has fields this endpoint does not know' : 'The request does not match the schema',
    issues,
  );
}

/** A JSON object sent as a form field (a passkey's answer); anything else is a 400 `passkey_refused`. */
export function parseJson(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    return value;
  } catch {
    throw new DomainError('passkey_refused', 400, 'Malformed passkey answer');
  }
}
