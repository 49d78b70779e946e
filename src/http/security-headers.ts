import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Headers on every response, also the ones oidc-provider writes itself (they are set on the raw
 * response before it takes over, and it extends script-src with hashes for its form_post page).
 * `form-action` is left out on purpose: browsers apply it to the redirect chain after a form
 * post, which would block the final redirect to the client's registered redirect_uri.
 * Referrer-Policy is same-origin, not no-referrer: with no-referrer browsers send `Origin: null`
 * on form posts, and the CSRF guard checks the Origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function installSecurityHeaders(app: FastifyInstance, https: boolean): void {
  app.addHook('onRequest', async (_request, reply) => applySecurityHeaders(reply.raw, https));
}

/**
 * On the raw response. `no-store` is the default of every answer (API answers carry secrets and
 * customer data, pages carry form tokens); public documents (assets, discovery, JWKS) say otherwise
 * themselves, as Fastify's reply headers and later `setHeader` calls take precedence.
 */
export function applySecurityHeaders(raw: ServerResponse, https: boolean): void {
  raw.setHeader('cache-control', 'no-store');
  raw.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  raw.setHeader('x-content-type-options', 'nosniff');
  raw.setHeader('x-frame-options', 'DENY');
  raw.setHeader('referrer-policy', 'same-origin');
  raw.setHeader('cross-origin-opener-policy', 'same-origin');
  raw.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  if (https) raw.setHeader('strict-transport-security', 'max-age=63072000; includeSubDomains');
}
