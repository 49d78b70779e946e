import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/load-config.ts';
import { hashingSlots } from '../credentials/hashing-slots.ts';
import { DomainError } from '../errors/domain-error.ts';
import { Admission } from '../http/admission.ts';
import { answerFrameworkError, installErrorHandling } from '../http/error-handler.ts';
import { installAddressLimit, MemoryHitCounter, RateLimit, RedisHitCounter } from '../http/rate-limit.ts';
import { installSecurityHeaders } from '../http/security-headers.ts';
import { healthRoutes } from '../ops/health.routes.ts';
import type { Services } from './services.ts';

const API_BODY_LIMIT = 64 * 1024;

export interface HttpServer {
  app: FastifyInstance;
  /** Shutting down soon: /readyz answers 503 and every answer closes its connection. */
  drain(): void;
  draining(): boolean;
}

export interface BuildOptions {
  /** Where pino writes; stdout when absent. */
  logStream?: NodeJS.WritableStream;
}

/** Fastify with the logger, trusted proxies and the drain switch; nothing listens yet. */
export function createHttpServer(config: Config, options: BuildOptions): HttpServer {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      // Query strings can carry id_token_hint or login_hint: log the path only.
      serializers: { req: (req) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip }) },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    trustProxy: config.trustProxy,
    bodyLimit: API_BODY_LIMIT,
    // A request that reaches a draining node on a kept-alive connection is served, not refused:
    // the drain (cli.ts) already told the balancer to stop sending.
    return503OnClosing: false,
    // A path Fastify cannot route (a broken percent-encoding) is answered as our own error, not Fastify's JSON.
    frameworkErrors: (error, request, reply) => answerFrameworkError(error, request, reply, config.issuer.startsWith('https://')),
  });
  let draining = false;
  app.addHook('onRequest', async (_request, reply) => {
    // On the raw response: oidc-provider's routes write it directly, past Fastify's reply headers.
    if (draining) reply.raw.setHeader('connection', 'close');
  });
  return { app, drain: () => void (draining = true), draining: () => draining };
}

/** Cookies, security headers, metrics, admission control, rate limits, errors as JSON or pages, and the health endpoints. */
export async function installGuards(server: HttpServer, services: Services): Promise<{ admission: Admission; perClient: RateLimit }> {
  const { app } = server;
  const { config, metrics } = services;
  await app.register(fastifyCookie);
  installSecurityHeaders(app, config.issuer.startsWith('https://'));
  refuseMalformedHosts(app);
  metrics.install(app);
  // Campaign bursts: password work beyond the limit is turned away politely (429), the rest is served.
  hashingSlots.limit = config.hashConcurrency;
  const stopTimingSlots = hashingSlots.onWait((seconds) => metrics.hashingSlotWaited(seconds));
  app.addHook('onClose', async () => void stopTimingSlots());
  const admission = new Admission(config.admission, (reason) => metrics.signInShed(reason));
  admission.install(app);
  // Per address (pages) and per client (token endpoints); shared by every node through Redis when set.
  const hits = services.redis ? new RedisHitCounter(services.redis) : new MemoryHitCounter();
  const onCounterError = (error: unknown) => app.log.warn({ err: error }, 'rate-limit counter unavailable; request let through');
  installAddressLimit(app, new RateLimit(hits, 'address', config.rateLimits.ipPerMinute, onCounterError));
  const perClient = new RateLimit(hits, 'client', config.rateLimits.clientPerMinute, onCounterError);
  installErrorHandling(app);
  healthRoutes(app, { store: services.store, metrics, metricsToken: config.metricsToken, draining: server.draining });
  return { admission, perClient };
}

/**
 * A Host that is no URL authority (a port above 65535, a broken IPv6 literal) is refused, as any
 * other error (a page, or JSON under /api). Which well-formed host a request names changes
 * nothing: the protocol answers with the issuer's (provider.routes.ts). No Host at all is an
 * HTTP/1.0 request (a load balancer's health check); Node refuses HTTP/1.1 without one.
 */
function refuseMalformedHosts(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const host = request.headers.host;
    if (host !== undefined && !URL.canParse(`http://${host}/`)) throw new DomainError('invalid_host', 400, 'The Host header is not a valid host[:port]');
  });
}
