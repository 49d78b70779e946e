import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LOCALES, pickLocale, type Locale } from '../i18n/locale.ts';
import { SESSION_MAX_AGE_MS } from '../operators/operator-sessions.ts';

/**
 * The console's cookies, all with path `/console`, HttpOnly and SameSite=Strict: a link from
 * another site never arrives signed in, and no customer page ever receives them. `__Secure-`
 * names over https (`__Host-` would need path `/`).
 */
export class ConsoleCookies {
  readonly #secure: boolean;
  readonly #session: string;
  readonly #pending: string;
  readonly #workforce: string;

  constructor(issuer: string) {
    this.#secure = issuer.startsWith('https://');
    const prefix = this.#secure ? '__Secure-' : '';
    this.#session = `${prefix}pv_console`;
    this.#pending = `${prefix}pv_console_pending`;
    this.#workforce = `${prefix}pv_console_workforce`;
  }

  session(request: FastifyRequest): string | undefined {
    return request.cookies[this.#session];
  }

  setSession(reply: FastifyReply, value: string): void {
    reply.setCookie(this.#session, value, this.#options(SESSION_MAX_AGE_MS / 1000));
    reply.clearCookie(this.#pending, this.#options());
  }

  clearSession(reply: FastifyReply): void {
    reply.clearCookie(this.#session, this.#options());
  }

  /** The ticket between the password and the code (five minutes). */
  pending(request: FastifyRequest): string | undefined {
    return request.cookies[this.#pending];
  }

  setPending(reply: FastifyReply, ticket: string): void {
    reply.setCookie(this.#pending, ticket, this.#options(300));
  }

  /**
   * The workforce round trip's ticket. SameSite=Lax: the provider's redirect back is a
   * cross-site navigation, which a Strict cookie would not join.
   */
  workforce(request: FastifyRequest): string | undefined {
    return request.cookies[this.#workforce];
  }

  setWorkforce(reply: FastifyReply, ticket: string): void {
    reply.setCookie(this.#workforce, ticket, { ...this.#options(600), sameSite: 'lax' });
  }

  clearWorkforce(reply: FastifyReply): void {
    reply.clearCookie(this.#workforce, { ...this.#options(), sameSite: 'lax' });
  }

  /** The console's language: `?lang=` (remembered), then the remembered one, then Accept-Language. */
  locale(request: FastifyRequest, reply: FastifyReply): Locale {
    const asked = (request.query as Record<string, unknown> | undefined)?.lang;
    if (typeof asked === 'string' && (LOCALES as readonly string[]).includes(asked)) {
      reply.setCookie('pv_console_lang', asked, this.#options(365 * 86400));
      return asked as Locale;
    }
    return pickLocale(request.cookies.pv_console_lang, request.headers['accept-language']);
  }

  #options(maxAge?: number) {
    return { path: '/console', httpOnly: true, sameSite: 'strict' as const, secure: this.#secure, ...(maxAge ? { maxAge } : {}) };
  }
}
