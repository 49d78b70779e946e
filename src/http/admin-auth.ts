import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** True when the request carries `Authorization: Bearer <key>`; compared in constant time. */
export function bearerMatches(request: FastifyRequest, key: string): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(key));
}

/** Bearer PORTVAKT_ADMIN_KEY; runs before the body is read. */
export function adminAuth(adminKey: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.header('www-authenticate', 'Bearer realm="portvakt-management"');
    if (!adminKey) throw new DomainError('unauthorized', 401, 'The management API is off: set PORTVAKT_ADMIN_KEY');
    if (!bearerMatches(request, adminKey)) throw new DomainError('unauthorized', 401, 'A valid bearer key is required');
  };
}
