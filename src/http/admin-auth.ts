import { sameSecret } from '../crypto/same-secret.ts';
import type { FastifyRequest } from 'fastify';

/** True when the request carries `Authorization: Bearer <key>`; compared in constant time. */
export function bearerMatches(request: FastifyRequest, key: string): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
  return match !== null && sameSecret(match[1]!, key);
}
