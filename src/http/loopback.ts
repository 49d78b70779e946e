import type { FastifyRequest } from 'fastify';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** Headers a proxy adds: a request carrying any came through one, from who knows where. */
const FORWARDING = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'] as const;

/**
 * Whether the request comes from this machine itself: the TCP peer is loopback (the socket's
 * address, never a forwarded header) and it carries no forwarding header. A proxy on the same host
 * (TRUST_PROXY=127.0.0.1) connects from loopback too, on behalf of anyone: what it forwards is not local.
 */
export function fromLoopback(request: FastifyRequest): boolean {
  if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) return false;
  return FORWARDING.every((name) => request.headers[name] === undefined);
}
