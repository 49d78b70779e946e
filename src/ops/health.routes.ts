import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/database.ts';
import type { Metrics } from './metrics.ts';

export function healthRoutes(app: FastifyInstance, store: Store, metrics: Metrics): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await store.ping();
      return { status: 'ready', database: store.dialect };
    } catch (error) {
      request.log.warn({ err: error }, 'database not reachable');
      return reply.code(503).send({ error: 'not_ready', message: 'The database is not reachable' });
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
