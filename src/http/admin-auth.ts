import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Two secrets compared in constant time (whatever their lengths). */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** True when the request carries `Authorization: Bearer <key>`; compared in constant time. */
export function bearerMatches(request: FastifyRequest, key: string): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
  return match !== null && sameSecret(match[1]!, key);
}
