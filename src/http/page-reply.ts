import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PageContext } from '../pages/layout.ts';
import { pickLocale, translator } from '../i18n/locale.ts';

export function pageContextFor(request: FastifyRequest, uiLocales?: unknown): PageContext {
  const locale = pickLocale(typeof uiLocales === 'string' ? uiLocales : undefined, request.headers['accept-language']);
  return { locale, t: translator(locale) };
}

export function sendPage(reply: FastifyReply, status: number, page: string) {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

/** A 303 to the next page of a flow, never cached. */
export function seeOther(reply: FastifyReply, location: string) {
  return reply.code(303).header('cache-control', 'no-store').redirect(location, 303);
}
