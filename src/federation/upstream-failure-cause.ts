/**
 * Why a call to an upstream provider failed, in a stable code and a sentence that names no secret:
 * the status it answered, the issuer it named, a timeout, a TLS or network failure, or an address
 * the outbound guard refused. openid-client wraps the real cause (`error.cause`, several deep).
 */
export type UpstreamCause =
  | 'issuer_mismatch'
  | 'http_status'
  | 'not_json'
  | 'invalid_metadata'
  | 'provider_error'
  | 'invalid_response'
  | 'timeout'
  | 'tls'
  | 'address_refused'
  | 'dns'
  | 'connection_failed'
  | 'unknown';

export interface UpstreamFailureCause {
  cause: UpstreamCause;
  /** A sentence for the answer and the log: what went wrong, never a secret. */
  description: string;
  /** The HTTP status the provider answered, when it answered one. */
  status?: number;
}

/** Whether the provider could not be reached at all (as opposed to answering something unusable). */
export const UNREACHABLE: ReadonlySet<UpstreamCause> = new Set(['timeout', 'tls', 'address_refused', 'dns', 'connection_failed']);

interface Link {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  status?: number;
  error?: string;
  errors?: unknown[];
}

/** The error and every cause below it (the first of an AggregateError's errors too). */
function chain(error: unknown): Link[] {
  const links: Link[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && links.length < 8) {
    const link = current as Link;
    links.push(link);
    current = link.cause ?? (Array.isArray(link.errors) ? link.errors[0] : undefined);
  }
  return links;
}

const TLS = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH|ALTNAME/;

export function upstreamFailureCause(error: unknown): UpstreamFailureCause {
  const links = chain(error);
  const codes = links.map((link) => (typeof link.code === 'string' ? link.code : ''));
  const has = (code: string) => codes.includes(code);
  const deepest = links.at(-1);
  const response = links.find((link) => typeof link.status === 'number' && typeof (link as { headers?: unknown }).headers === 'object');
  if (has('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')) {
    const details = links.find((link) => (link as { attribute?: unknown }).attribute !== undefined) as { attribute?: string; expected?: string; body?: Record<string, unknown> } | undefined;
    if (details?.attribute === 'issuer') {
      const named = typeof details.body?.issuer === 'string' ? details.body.issuer.slice(0, 200) : 'another issuer';
      return { cause: 'issuer_mismatch', description: `its discovery document names the issuer ${named}, not ${details.expected ?? 'the one configured'}` };
    }
  }
  if (has('OAUTH_RESPONSE_BODY_ERROR')) {
    const body = links.find((link) => link.code === 'OAUTH_RESPONSE_BODY_ERROR');
    const code = typeof body?.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : 'an error';
    return { cause: 'provider_error', description: `the provider answered HTTP ${body?.status ?? '?'} with ${code}`, ...(body?.status ? { status: body.status } : {}) };
  }
  if (has('OAUTH_RESPONSE_IS_NOT_CONFORM') && response?.status) return { cause: 'http_status', description: `the provider answered HTTP ${response.status}`, status: response.status };
  if (has('OAUTH_RESPONSE_IS_NOT_JSON') || has('OAUTH_PARSE_ERROR')) return { cause: 'not_json', description: 'the provider did not answer JSON' };
  if (has('OAUTH_TIMEOUT') || has('OAUTH_ABORT') || has('ETIMEDOUT') || has('UND_ERR_CONNECT_TIMEOUT') || has('UND_ERR_HEADERS_TIMEOUT') || links.some((link) => link.name === 'TimeoutError')) {
    return { cause: 'timeout', description: 'the provider did not answer in time' };
  }
  if (has('EOUTBOUNDREFUSED')) return { cause: 'address_refused', description: 'its address is internal or special-purpose, which calls out may not reach (OUTBOUND_ALLOW_INTERNAL)' };
  const tls = codes.find((code) => TLS.test(code)) ?? (links.some((link) => /SSL|TLS|certificate/i.test(link.message ?? '')) ? 'TLS' : undefined);
  if (tls) return { cause: 'tls', description: `the TLS connection failed (${tls})` };
  if (has('ENOTFOUND') || has('EAI_AGAIN')) return { cause: 'dns', description: 'its host name does not resolve' };
  const network = codes.find((code) => /^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR'));
  if (network) return { cause: 'connection_failed', description: `the connection failed (${network})` };
  if (has('OAUTH_MISSING_SERVER_METADATA') || has('OAUTH_INVALID_SERVER_METADATA')) {
    return { cause: 'invalid_metadata', description: `its answer is not valid: ${oneLine(links.find((link) => link.code?.startsWith('OAUTH_'))?.message)}` };
  }
  const oauth = links.find((link) => link.code?.startsWith('OAUTH_') && link.message);
  if (oauth) return { cause: 'invalid_response', description: oneLine(links.at(links.indexOf(oauth) + 1)?.message ?? oauth.message) };
  return { cause: 'unknown', description: `it failed (${oneLine(deepest?.message)})` };
}

function oneLine(message: string | undefined): string {
  return (message ?? 'no reason given').replace(/\s+/g, ' ').slice(0, 200);
}
