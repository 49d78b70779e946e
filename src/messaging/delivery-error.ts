/**
 * A message (SMS or e-mail) could not be handed to its provider.
 *
 * `retryable` says whether trying again later may succeed: network failures, timeouts, HTTP 429
 * and 5xx are retryable; other rejections (bad credentials, a refused recipient) are permanent.
 * The message names the provider and its answer only, never the text being sent: that text
 * carries one-time codes and must not reach logs.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  readonly retryable: boolean;
  readonly provider: string;
  /** The provider's answer: an HTTP status or an SMTP reply code; undefined when it never answered. */
  readonly status: number | undefined;

  constructor(message: string, options: { provider: string; retryable: boolean; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.provider = options.provider;
    this.retryable = options.retryable;
    this.status = options.status;
  }

  /** Classifies an HTTP answer that is not a success: 429 and 5xx are retryable, the rest permanent. */
  static forHttpStatus(provider: string, status: number): DeliveryError {
    const retryable = status === 429 || status >= 500;
    return new DeliveryError(`${provider} answered HTTP ${status}`, { provider, retryable, status });
  }

  /** Classifies a request that got no answer: timeouts and network failures are retryable. */
  static forNoAnswer(provider: string, error: unknown, timeoutMs: number): DeliveryError {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const message = timedOut ? `${provider} did not answer within ${timeoutMs} ms` : `${provider} could not be reached`;
    return new DeliveryError(message, { provider, retryable: true, cause: error });
  }
}
