import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import { bearerMatches } from '../http/admin-auth.ts';
import { fromLoopback } from '../http/loopback.ts';
import type { Store } from '../store/database.ts';
import type { Metrics } from './metrics.ts';

/**
 * /metrics tells sign-in outcomes and process internals: with METRICS_TOKEN set it wants that
 * bearer token, without it only a scraper on the same host (the TCP peer, never a forwarded
 * address) gets an answer.
 */
function metricsAllowed(request: FastifyRequest, token: string | undefined): boolean {
  return token ? bearerMatches(request, token) : fromLoopback(request);
}

export interface HealthDeps {
  store: Store;
  metrics: Metrics;
  metricsToken: string | undefined;
  /** True once the process is shutting down: the balancer should send nothing new. */
  draining: () => boolean;
}

export function healthRoutes(app: FastifyInstance, { store, metrics, metricsToken, draining }: HealthDeps): void {
  metrics.watchReadiness(async () => {
    if (draining()) return false;
    await store.ping();
    return true;
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    if (draining()) return reply.code(503).send({ error: 'shutting_down', message: 'This node is shutting down; send new requests to another' });
    try {
      await store.ping();
      // Ready or not is all a stranger learns; this machine or the metrics token holder sees the details.
      return metricsAllowed(request, metricsToken) || fromLoopback(request) ? { status: 'ready', database: store.dialect } : { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'database not reachable');
      return reply.code(503).send({ error: 'not_ready', message: 'The database is not reachable' });
    }
  });
  app.get('/metrics', async (request, reply) => {
    if (!metricsAllowed(request, metricsToken)) {
      throw new DomainError('unauthorized', 401, 'Metrics need the METRICS_TOKEN bearer token, or a connection from loopback');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
