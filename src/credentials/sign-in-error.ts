import { DomainError } from '../errors/domain-error.ts';

/** How a sign-in attempt ended, for metrics and for the page's answer. */
export type SignInResult = 'success' | 'invalid_credentials' | 'throttled' | 'disabled';

export class SignInError extends DomainError {
  readonly result: Exclude<SignInResult, 'success'>;
  constructor(result: Exclude<SignInResult, 'success'>, status: number, message: string, details?: unknown) {
    super(result === 'throttled' ? 'too_many_attempts' : result === 'disabled' ? 'account_disabled' : 'invalid_credentials', status, message, details);
    this.result = result;
  }
}

export function throttled(retryAfterSeconds: number): SignInError {
  return new SignInError('throttled', 429, 'Too many attempts; try again later', { retry_after: retryAfterSeconds });
}
