import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { messagePage } from '../pages/message.page.ts';
import { markLimited } from '../ops/limiter-mark.ts';
import { pageContextFor, sendPage } from './page-reply.ts';

/** Hosted steps that hash or verify a password (argon2id, 19 MiB each): what a burst must not pile up. */
const EXPENSIVE = /^\/login\/[A-Za-z0-9_-]{1,64}\/(password|email-code|reset)$/;
/** A sign-in whose customer left and whose handler never answered gives its place back after this. */
const ABANDONED_MS = 30_000;
/** How long a shed customer is asked to wait before the page tries again. */
const RETRY_AFTER_SECONDS = 3;

export interface AdmissionLimits {
  /** Password sign-ins and sign-ups in progress at once in this process. */
  maxInFlight: number;
  /**
   * Event-loop delay (p99 over the last second) above which new ones are turned away; 0: off.
   * Off by default: on a shared 2-core machine running many servers at once (CI) the loop lags
   * past any useful threshold without the server being overloaded. Set it per deployment.
   */
  maxEventLoopDelayMs: number;
}

/**
 * Admission control for campaign bursts. Sign-in and sign-up steps that hash a password are
 * counted while in progress; past the limit, or while the event loop lags, new ones get a friendly
 * 429 page with `Retry-After` that tries again by itself, instead of queueing until everything
 * times out. Everything else (token refresh, JWKS, discovery, health) is never turned away here.
 */
export class Admission {
  readonly #limits: AdmissionLimits;
  readonly #delay: ReturnType<typeof monitorEventLoopDelay>;
  readonly #timer: NodeJS.Timeout;
  #inFlight = 0;
  readonly #releases = new WeakMap<FastifyRequest, () => void>();
  #lagging = false;
  #shed = 0;

  readonly #onShed: (reason: 'in_flight' | 'event_loop') => void;

  /** `onShed` hears of every sign-in turned away, and why (the metrics count them). */
  constructor(limits: AdmissionLimits, onShed: (reason: 'in_flight' | 'event_loop') => void = () => {}) {
    this.#limits = limits;
    this.#onShed = onShed;
    this.#delay = monitorEventLoopDelay({ resolution: 10 });
    this.#delay.enable();
    // Once a second: was the loop lagging over the last second?
    this.#timer = setInterval(() => {
      this.#lagging = this.#limits.maxEventLoopDelayMs > 0 && this.#delay.percentile(99) / 1e6 > this.#limits.maxEventLoopDelayMs;
      this.#delay.reset();
    }, 1000);
    this.#timer.unref();
  }

  get shed(): number {
    return this.#shed;
  }

  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.method !== 'POST' || !EXPENSIVE.test(request.url.split('?')[0]!)) return;
      if (this.#inFlight >= this.#limits.maxInFlight || this.#lagging) {
        this.#shed += 1;
        this.#onShed(this.#inFlight >= this.#limits.maxInFlight ? 'in_flight' : 'event_loop');
        markLimited(reply, 'admission');
        const page = pageContextFor(request);
        const back = request.url.replace(/\/[a-z-]+$/, '');
        reply.header('retry-after', String(RETRY_AFTER_SECONDS)).header('refresh', `${RETRY_AFTER_SECONDS};url=${back}`);
        return sendPage(reply, 429, messagePage(page, page.t('busy.title'), page.t('busy.lead', { seconds: RETRY_AFTER_SECONDS })));
      }
      this.#inFlight += 1;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
      };
      this.#releases.set(request, release);
      reply.raw.once('finish', release);
      // A customer who gives up (the connection closes) does not end the work: the password is
      // still hashed, so the place is kept until the answer is made (onSend) and freed on close
      // only as a fallback, after ABANDONED_MS, should the handler never answer.
      reply.raw.once('close', () => {
        if (!released) setTimeout(release, ABANDONED_MS).unref();
      });
    });
    app.addHook('onSend', async (request) => {
      this.#releases.get(request)?.();
    });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#delay.disable();
  }
}
