import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { parseInput } from '../validation/parse-input.ts';
import { fromLoopback } from '../http/loopback.ts';
import type { DevOutbox } from './dev-outbox.ts';

const query = z.strictObject({ to: z.string().max(254).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });

/**
 * `GET /dev/outbox[?to=address]`: the messages that would have been mailed or texted, newest
 * first. It holds sign-in codes, so it exists only outside production, only when a channel has no
 * real sender, and answers only connections from this machine (the TCP peer, not X-Forwarded-For):
 * a staging server reachable from outside does not publish codes.
 */
export function devOutboxRoutes(app: FastifyInstance, devOutbox: DevOutbox): void {
  app.get('/dev/outbox', async (request, reply) => {
    if (!fromLoopback(request)) throw new DomainError('not_found', 404, 'No route GET /dev/outbox');
    const { to, limit } = parseInput(query, request.query ?? {}, 'query');
    const messages = await devOutbox.list(to, limit);
    return reply.header('cache-control', 'no-store').send({
      messages: messages.map((message) => ({
        id: message.id,
        channel: message.channel,
        to: message.recipient,
        subject: message.subject,
        body: message.body,
        created_at: new Date(message.created_at).toISOString(),
      })),
    });
  });
}
