/**
 * A refusal a service gives on purpose: a stable machine code, the HTTP status it maps to and a
 * human message. Routes turn it into `{ error, message, details? }`; anything else is a bug (500).
 */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(code: string, status: number, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export const notFound = (what: string) => new DomainError('not_found', 404, `${what} not found`);
export const conflict = (code: string, message: string) => new DomainError(code, 409, message);
export const invalid = (code: string, message: string, details?: unknown) => new DomainError(code, 400, message, details);
export const concurrentUpdate = (what: string) =>
  new DomainError('concurrent_update', 409, `The ${what} was changed by another request; read it again and retry`);
export const tooManyAttempts = (retryAfterSeconds: number) =>
  new DomainError('too_many_attempts', 429, 'Too many attempts; try again later', { retry_after: retryAfterSeconds });

/** A refusal about item `index` of a batch: the same code and status, naming the item (`details.index`); anything else as it was. */
export function refusalAt(index: number, error: unknown): unknown {
  return error instanceof DomainError ? new DomainError(error.code, error.status, `item ${index}: ${error.message}`, { index }) : error;
}
