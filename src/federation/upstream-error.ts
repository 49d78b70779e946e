export type UpstreamFailure = 'denied' | 'unavailable' | 'invalid' | 'no_email' | 'tenant';

/** Why an upstream sign-in stopped; the page says it in words, the audit log keeps the code. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly reason: UpstreamFailure;
  readonly connection: string;
  /** What failed underneath, as a stable code (`timeout`, `http_status`, `issuer_mismatch`, …), when known. */
  readonly why: string | undefined;
  constructor(reason: UpstreamFailure, connection: string, detail: string, why?: string) {
    super(detail);
    this.reason = reason;
    this.connection = connection;
    this.why = why;
  }
}
