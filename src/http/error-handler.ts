import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import type { MessageKey } from '../i18n/en.ts';
import { messagePage } from '../pages/message.page.ts';
import { pageContextFor, sendPage } from './page-reply.ts';
import { applySecurityHeaders } from './security-headers.ts';

interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

const FASTIFY_CODES: Record<string, { status: number; error: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, error: 'payload_too_large', message: 'The request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, error: 'unsupported_media_type', message: 'Send application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, error: 'invalid_json', message: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, error: 'invalid_json', message: 'The body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, error: 'bad_request', message: 'Content-Length does not match the body' },
};

/** Every failure becomes `{ error, message, details? }` (HTML on hosted pages); a 500 is a bug and logged. */
export function classify(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof DomainError) {
    return { status: error.status, body: { error: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } };
  }
  const oauth = error as { name?: string; error?: unknown; error_description?: unknown; statusCode?: number };
  if (oauth.name === 'SessionNotFound') {
    return { status: 400, body: { error: 'interaction_expired', message: 'The sign-in expired or was already finished' } };
  }
  if (typeof oauth.error === 'string' && oauth.statusCode && oauth.statusCode < 500) {
    return { status: oauth.statusCode, body: { error: oauth.error, message: String(oauth.error_description ?? oauth.error) } };
  }
  // Last line of defence; inputs are screened for NUL at the edge (validation/text.ts).
  if ((error as { code?: unknown }).code === '22021') {
    return { status: 400, body: { error: 'invalid_characters', message: 'The request holds characters that cannot be stored' } };
  }
  const fastifyError = error as Partial<FastifyError>;
  const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known) return { status: known.status, body: { error: known.error, message: known.message } };
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return { status: 400, body: { error: 'invalid_json', message: 'The body is not valid JSON' } };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: { error: 'bad_request', message: fastifyError.message ?? 'Bad request' } };
  }
  return { status: 500, body: { error: 'internal_error', message: 'Something went wrong on our side' } };
}

/** Machine endpoints: the management API, connected systems' callbacks, health, metrics, the dev outbox. JSON `{error, message}`. */
const MACHINE_PATHS = /^\/(api|privacy|dev|scim)(\/|$)|^\/(healthz|readyz|metrics)(\/|\?|$)/;
/** The protocol's JSON endpoints: errors as OAuth writes them, `{error, error_description}`. */
const PROTOCOL_JSON_PATHS = /^\/(\.well-known|token|me|jwks|request|device\/auth)(\/|\?|$)/;

/** How an error is answered at this path: a JSON body for machines, OAuth's JSON for protocol endpoints, a page for people (everything else). */
export function errorAudience(url: string): 'machine' | 'protocol' | 'page' {
  if (MACHINE_PATHS.test(url)) return 'machine';
  if (PROTOCOL_JSON_PATHS.test(url)) return 'protocol';
  return 'page';
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = classify(error);
    if (status >= 500) request.log.error({ err: error }, 'unhandled error');
    if (error instanceof DomainError && error.code === 'too_many_attempts') {
      const retry = (error.details as { retry_after?: number } | undefined)?.retry_after;
      if (retry) reply.header('retry-after', String(retry));
    }
    return respond(request, reply, status, body);
  });
  app.setNotFoundHandler((request, reply) =>
    respond(request, reply, 404, { error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
  );
}

/**
 * Fastify's own refusals before routing (a path with a broken percent-encoding): answered like
 * every other error, with the security headers the onRequest hooks would have set (they did not run).
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply, https: boolean) {
  applySecurityHeaders(reply.raw, https);
  const url = request.raw.url ?? '/';
  if (error.code === 'FST_ERR_BAD_URL') return respond(request, reply, 400, { error: 'bad_request', message: 'The path is not valid (a broken percent-encoding)' });
  return respond(request, reply, error.statusCode && error.statusCode < 500 ? error.statusCode : 400, { error: 'bad_request', message: `The request to ${url.split('?')[0]!.slice(0, 200)} is not valid` });
}

function respond(request: FastifyRequest, reply: FastifyReply, status: number, body: ErrorBody) {
  const audience = errorAudience(request.raw.url ?? request.url);
  if (audience === 'protocol') {
    return reply.code(status).type('application/json; charset=utf-8').send({ error: body.error, error_description: body.message });
  }
  if (audience === 'page') {
    const page = pageContextFor(request);
    const specific = page.t(`error.${body.error}` as MessageKey);
    const lead =
      status === 404
        ? page.t('error.page.not_found')
        : body.error === 'interaction_expired'
          ? page.t('error.page.expired')
          : specific !== `error.${body.error}` ? specific : page.t('error.page.lead');
    return sendPage(reply, status, messagePage(page, page.t('error.page.title'), lead, body.error));
  }
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
