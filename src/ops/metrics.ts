import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import type { UpstreamFailure } from '../federation/upstream-sign-in.ts';
import type { SignInResult } from '../credentials/sign-in-error.ts';
import { limiterOf, type Limiter } from './limiter-mark.ts';
import { BoundedRead } from './bounded-read.ts';
import type { OutboxFigures, PrivacyFigures, SubscriptionFigures } from './queue-figures.ts';

/** How long a scrape waits for the database's queue figures before it answers with the last ones. */
export const FIGURES_TIMEOUT_MS = 2000;

/** Why a password sign-in was turned away by admission control. */
const SHED_REASONS = ['in_flight', 'event_loop'] as const;
export type ShedReason = (typeof SHED_REASONS)[number];
/** The `limiter` label of a 429: the limits that mark their refusals, and `attempts` for every other. */
const RATE_LIMITERS = ['address', 'client', 'device_code', 'attempts'] as const;

/**
 * Prometheus metrics of one process: HTTP by route, sign-ins by result, tokens by grant, sign-ins
 * shed, 429s by limiter, waits for a hashing slot; and the queues (outbox, webhook deliveries,
 * privacy work), read from the database at each scrape so every node reports the same figures.
 */
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
  readonly #shed = new client.Counter({
    name: 'portvakt_sign_ins_shed_total',
    help: 'Password sign-ins and sign-ups turned away by admission control (429), by reason: in_flight (ADMISSION_MAX_SIGN_INS reached), event_loop (the loop lagged past ADMISSION_MAX_LOOP_DELAY_MS)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly #limited = new client.Counter({
    name: 'portvakt_rate_limited_total',
    help: 'Requests answered 429 by a rate limit, by limiter: address (per client network), client (per client_id), device_code (device code guesses), attempts (per-account sign-in throttles, one-time code tries and other per-subject limits)',
    labelNames: ['limiter'] as const,
    registers: [this.registry],
  });
  readonly #slotWait = new client.Histogram({
    name: 'portvakt_hashing_slot_wait_seconds',
    help: 'How long a password hash or verification waited for one of the process\'s hashing slots (PASSWORD_HASH_CONCURRENCY)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly #outboxFailures = new client.Counter({
    name: 'portvakt_outbox_failures_total',
    help: 'Failed outbox delivery attempts in this process, by topic and outcome (retry: tried again later; dead: given up)',
    labelNames: ['topic', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #figureFailures = new client.Counter({
    name: 'portvakt_metrics_read_failures_total',
    help: 'Database reads of a scrape that failed (error) or did not answer in time (timeout), by source (outbox, webhooks, privacy: the last figures were kept; readiness: portvakt_ready was 0)',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  readonly #figuresTimeoutMs: number;
  readonly #watched = new Set<string>();

  constructor(options: { figuresTimeoutMs?: number } = {}) {
    this.#figuresTimeoutMs = options.figuresTimeoutMs ?? FIGURES_TIMEOUT_MS;
    client.collectDefaultMetrics({ register: this.registry });
    // Known label values start at zero, so rate() and increase() see the first event.
    for (const reason of SHED_REASONS) this.#shed.inc({ reason }, 0);
    for (const limiter of RATE_LIMITERS) this.#limited.inc({ limiter }, 0);
  }

  signIn(method: 'password' | 'email_code' | 'email_link' | 'sms_code' | 'otp' | 'passkey' | 'password_reset' | 'upstream', result: SignInResult | 'registered' | UpstreamFailure): void {
    this.#signIns.inc({ method, result });
  }

  tokenIssued(grantType: string): void {
    this.#tokens.inc({ grant_type: grantType });
  }

  signInShed(reason: ShedReason): void {
    this.#shed.inc({ reason });
  }

  hashingSlotWaited(seconds: number): void {
    this.#slotWait.observe(seconds);
  }

  outboxFailed(topic: string, outcome: 'retry' | 'dead'): void {
    this.#outboxFailures.inc({ topic, outcome });
  }

  /**
   * The outbox, read at each scrape: `portvakt_outbox_queued`,
   * `portvakt_outbox_oldest_queued_age_seconds` (0 when nothing waits) and `portvakt_outbox_dead`
   * (dead messages kept until the retention deletes them).
   */
  watchOutbox(read: () => Promise<OutboxFigures>): void {
    const figures = this.#bounded('outbox', read);
    if (!figures) return;
    this.#gauge('portvakt_outbox_queued', 'Messages waiting to be sent (pending, retries included)', async (gauge) => {
      const read = await figures.figures();
      if (read) gauge.set(read.queued);
    });
    this.#gauge('portvakt_outbox_oldest_queued_age_seconds', 'Age of the oldest message waiting to be sent; 0 when none waits', async (gauge) => {
      const read = await figures.figures();
      if (read) gauge.set(ageSeconds(read.oldestQueuedAt));
    });
    this.#gauge('portvakt_outbox_dead', 'Messages given up on (dead), kept until the retention deletes them', async (gauge) => {
      const read = await figures.figures();
      if (read) gauge.set(read.dead);
    });
  }

  /**
   * Webhook deliveries per subscription (label `subscription`, the subscription's id), read at
   * each scrape: `portvakt_webhook_deliveries_pending`,
   * `portvakt_webhook_deliveries_oldest_pending_age_seconds`, `portvakt_webhook_deliveries_dead`.
   * A deleted subscription's series go with it.
   */
  watchWebhooks(read: () => Promise<SubscriptionFigures[]>): void {
    const figures = this.#bounded('webhooks', read);
    if (!figures) return;
    const perSubscription = (name: string, help: string, value: (figures: SubscriptionFigures) => number) =>
      this.#gauge(
        name,
        help,
        async (gauge) => {
          const read = await figures.figures();
          if (!read) return;
          gauge.reset();
          for (const subscription of read) gauge.set({ subscription: subscription.subscription }, value(subscription));
        },
        ['subscription'],
      );
    perSubscription('portvakt_webhook_deliveries_pending', 'Webhook deliveries waiting to be sent, by subscription', (figures) => figures.pending);
    perSubscription('portvakt_webhook_deliveries_oldest_pending_age_seconds', 'Age of the oldest webhook delivery waiting to be sent, by subscription; 0 when none waits', (figures) => ageSeconds(figures.oldestPendingAt));
    perSubscription('portvakt_webhook_deliveries_dead', 'Webhook deliveries dead after their last attempt (redeliverable), by subscription', (figures) => figures.dead);
  }

  /**
   * Privacy work, read at each scrape: `portvakt_privacy_requests_open`,
   * `portvakt_privacy_requests_overdue` (open past their due date),
   * `portvakt_privacy_tasks_open{state}` (pending, waiting_callback, scheduled) and
   * `portvakt_privacy_tasks_waiting{state}` (waiting_operator, dead, not_identified).
   */
  watchPrivacy(read: () => Promise<PrivacyFigures>): void {
    const figures = this.#bounded('privacy', read);
    if (!figures) return;
    this.#gauge('portvakt_privacy_requests_open', 'Privacy requests received, verified or in progress', async (gauge) => {
      const read = await figures.figures();
      if (read) gauge.set(read.openRequests);
    });
    this.#gauge('portvakt_privacy_requests_overdue', 'Privacy requests still open past their due date', async (gauge) => {
      const read = await figures.figures();
      if (read) gauge.set(read.overdueRequests);
    });
    const byState = (name: string, help: string, counts: (figures: PrivacyFigures) => Record<string, number>) =>
      this.#gauge(
        name,
        help,
        async (gauge) => {
          const read = await figures.figures();
          if (read) for (const [state, count] of Object.entries(counts(read))) gauge.set({ state }, count);
        },
        ['state'],
      );
    byState('portvakt_privacy_tasks_open', 'Privacy tasks the workers are still carrying out: pending (due or backing off), waiting_callback (a callback system has yet to post its receipt), scheduled (a final erasure after a legal hold)', (figures) => figures.openTasks);
    byState('portvakt_privacy_tasks_waiting', 'Privacy tasks waiting on a person: waiting_operator (a manual system), dead (gave up; retry or handle), not_identified (the system was never told who the customer is)', (figures) => figures.waitingTasks);
  }

  /**
   * `portvakt_ready`: 1 when this node would answer /readyz with 200 (not draining, and the
   * database answered within the bound), else 0.
   */
  watchReadiness(ready: () => Promise<boolean>): void {
    const check = this.#bounded('readiness', ready);
    if (!check) return;
    this.#gauge('portvakt_ready', 'Whether this node is ready (1) or not (0): as /readyz, not draining and the database answers', async (gauge) => {
      gauge.set((await check.figures()) ? 1 : 0);
    });
  }

  /** Times every request, also the ones oidc-provider answers on the raw response, and counts the 429s of rate limits. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      const start = process.hrtime.bigint();
      reply.raw.once('finish', () => {
        const route = request.routeOptions.url ?? 'unmatched';
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const status = reply.raw.statusCode;
        this.#requests.inc({ method: request.method, route, status: String(status) });
        this.#duration.observe({ method: request.method, route }, seconds);
        if (status === 429) this.#rateLimited(limiterOf(reply.raw));
      });
    });
  }

  /** A shed sign-in is counted as shed (signInShed), not as a rate limit. */
  #rateLimited(limiter: Limiter | undefined): void {
    if (limiter === 'admission') return;
    this.#limited.inc({ limiter: limiter ?? 'attempts' });
  }

  /** The bounded reader of one source's figures; undefined when the source is already watched. */
  #bounded<F>(source: string, read: () => Promise<F>): BoundedRead<F> | undefined {
    if (this.#watched.has(source)) return undefined;
    this.#watched.add(source);
    for (const reason of ['error', 'timeout'] as const) this.#figureFailures.inc({ source, reason }, 0);
    return new BoundedRead(read, { timeoutMs: this.#figuresTimeoutMs, onFailure: (reason) => this.#figureFailures.inc({ source, reason }) });
  }

  #gauge<L extends string>(name: string, help: string, collect: (gauge: client.Gauge<L>) => Promise<void>, labelNames: readonly L[] = []): void {
    new client.Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await collect(this);
      },
    });
  }
}

/** Seconds since a moment in epoch milliseconds; 0 when there is none. */
function ageSeconds(since: number | null): number {
  return since === null ? 0 : Math.max(0, (Date.now() - since) / 1000);
}
