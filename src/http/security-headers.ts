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
  app.addHook('onRequest', async (_request, reply) => {
    const raw = reply.raw;
    raw.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    raw.setHeader('x-content-type-options', 'nosniff');
    raw.setHeader('x-frame-options', 'DENY');
    raw.setHeader('referrer-policy', 'same-origin');
    raw.setHeader('cross-origin-opener-policy', 'same-origin');
    raw.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (https) raw.setHeader('strict-transport-security', 'max-age=63072000; includeSubDomains');
  });
}
