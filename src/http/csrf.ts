import { randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * Double-submit CSRF protection for hosted forms: a random token in an httpOnly, SameSite=Lax
 * cookie and the same token in a hidden field. A cross-site post carries neither the cookie nor
 * the value; a mismatch (or a foreign Origin header) is refused before anything else runs.
 */
export class CsrfGuard {
  readonly #cookieName: string;
  readonly #secure: boolean;
  readonly #origin: string;

  constructor(issuer: string) {
    this.#secure = issuer.startsWith('https://');
    this.#cookieName = this.#secure ? '__Host-pv_csrf' : 'pv_csrf';
    this.#origin = new URL(issuer).origin;
  }

  /** The token for a form on this response; sets the cookie when the browser has none. */
  token(request: FastifyRequest, reply: FastifyReply): string {
    const existing = request.cookies[this.#cookieName];
    if (existing && TOKEN_FORMAT.test(existing)) return existing;
    const token = randomBytes(32).toString('base64url');
    reply.setCookie(this.#cookieName, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.#secure });
    return token;
  }

  verify(request: FastifyRequest, submitted: unknown): boolean {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.#origin) return false;
    const cookie = request.cookies[this.#cookieName];
    // Both must be well-formed first: timingSafeEqual compares bytes, and `é` is two of them.
    if (typeof submitted !== 'string' || !cookie || !TOKEN_FORMAT.test(submitted) || !TOKEN_FORMAT.test(cookie)) return false;
    return timingSafeEqual(Buffer.from(submitted), Buffer.from(cookie));
  }
}
