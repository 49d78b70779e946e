import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Bearer PORTVAKT_ADMIN_KEY, compared in constant time; runs before the body is read. */
export function adminAuth(adminKey: string | undefined) {
  const expected = adminKey ? digest(adminKey) : undefined;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.header('www-authenticate', 'Bearer realm="portvakt-management"');
    if (!expected) throw new DomainError('unauthorized', 401, 'The management API is off: set PORTVAKT_ADMIN_KEY');
    const header = request.headers.authorization ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw new DomainError('unauthorized', 401, 'A valid bearer key is required');
    }
  };
}
