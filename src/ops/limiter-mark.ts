import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * Which limit turned a request away with 429: address (per client network), client (per
 * client_id), device_code (device code guesses), admission (a sign-in shed in a burst). A 429 no
 * limiter marked comes from a per-subject throttle (sign-in attempts, one-time code tries).
 */
export type Limiter = 'address' | 'client' | 'device_code' | 'admission';

const marks = new WeakMap<ServerResponse, Limiter>();

/** Says which limiter refused this request, for the metrics (on the raw response, which oidc-provider's routes also answer on). */
export function markLimited(reply: FastifyReply, limiter: Limiter): void {
  marks.set(reply.raw, limiter);
}

export function limiterOf(response: ServerResponse): Limiter | undefined {
  return marks.get(response);
}
