import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import type { UpstreamFailure } from '../federation/upstream-sign-in.ts';
import type { SignInResult } from '../credentials/sign-in-error.ts';

/** Prometheus metrics of one process: HTTP by route, sign-ins by result, tokens by grant. */
export class Metrics {
  readonly registry = new client.Registry();
  readonly #requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly #duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly #signIns = new client.Counter({
    name: 'portvakt_sign_ins_total',
    help: 'Sign-in attempts by result',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });
  readonly #tokens = new client.Counter({
    name: 'portvakt_tokens_issued_total',
    help: 'Token endpoint successes by grant type',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });

  #privacyWatched = false;

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
  }

  signIn(method: 'password' | 'email_code' | 'email_link' | 'sms_code' | 'otp' | 'passkey' | 'password_reset' | 'upstream', result: SignInResult | 'registered' | UpstreamFailure): void {
    this.#signIns.inc({ method, result });
  }

  tokenIssued(grantType: string): void {
    this.#tokens.inc({ grant_type: grantType });
  }

  /**
   * Privacy work waiting on a person, read from the database when scraped (so every node reports
   * the same figures): `portvakt_privacy_tasks_waiting{state}` (waiting_operator, dead,
   * not_identified) and `portvakt_privacy_requests_overdue` (open past their due date).
   */
  watchPrivacy(read: () => Promise<{ tasks: Record<string, number>; overdue: number }>): void {
    if (this.#privacyWatched) return;
    this.#privacyWatched = true;
    type Figures = { tasks: Record<string, number>; overdue: number } | undefined;
    let pending: Promise<Figures> | undefined;
    // One read serves both gauges of a scrape; a database that cannot answer leaves them as they were.
    const figures = () => (pending ??= read().catch((): Figures => undefined).finally(() => setImmediate(() => (pending = undefined))));
    new client.Gauge({
      name: 'portvakt_privacy_tasks_waiting',
      help: 'Privacy tasks waiting on a person: waiting_operator (a manual system), dead (gave up; retry or handle), not_identified (the system was never told who the customer is)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        for (const [state, count] of Object.entries((await figures())?.tasks ?? {})) this.set({ state }, count);
      },
    });
    new client.Gauge({
      name: 'portvakt_privacy_requests_overdue',
      help: 'Privacy requests still open past their due date',
      registers: [this.registry],
      async collect() {
        const read = await figures();
        if (read) this.set(read.overdue);
      },
    });
  }

  /** Times every request, also the ones oidc-provider answers on the raw response. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      const start = process.hrtime.bigint();
      reply.raw.once('finish', () => {
        const route = request.routeOptions.url ?? 'unmatched';
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        this.#requests.inc({ method: request.method, route, status: String(reply.raw.statusCode) });
        this.#duration.observe({ method: request.method, route }, seconds);
      });
    });
  }
}
