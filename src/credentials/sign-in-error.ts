import { DomainError } from '../errors/domain-error.ts';

/** How a sign-in attempt ended, for metrics and for the page's answer. */
export type SignInResult = 'success' | 'invalid_credentials' | 'throttled' | 'disabled' | 'reset_required';

const CODES = { invalid_credentials: 'invalid_credentials', throttled: 'too_many_attempts', disabled: 'account_disabled', reset_required: 'password_reset_required' } as const;

export class SignInError extends DomainError {
  readonly result: Exclude<SignInResult, 'success'>;
  constructor(result: Exclude<SignInResult, 'success'>, status: number, message: string, details?: unknown) {
    super(CODES[result], status, message, details);
    this.result = result;
  }
}

export function throttled(retryAfterSeconds: number): SignInError {
  return new SignInError('throttled', 429, 'Too many attempts; try again later', { retry_after: retryAfterSeconds });
}
