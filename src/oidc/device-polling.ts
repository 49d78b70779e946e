import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Adapter } from 'oidc-provider';

/** RFC 8628 §3.2: how many seconds a device waits between polls, announced in the device authorization answer. */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: after a `slow_down` the interval grows by 5 seconds, for this and every later poll. */
const SLOW_DOWN_STEP_SECONDS = 5;
/** A poll this much early still counts as on time (timers and clocks of different nodes drift a little). */
const EARLY_SLACK_MS = 500;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface LastPoll {
  at: number;
  interval: number;
}

/**
 * The pace of device polling (RFC 8628 §3.5). oidc-provider announces no interval and never
 * answers `slow_down`; this does, at the token endpoint before oidc-provider sees the poll. The
 * last poll of each pending device code is kept in the artifact storage (the database, or Redis
 * when set), so every node sees it. Only polls of a real, still pending code count: a code the
 * customer has decided is answered at once, and made-up codes store nothing.
 */
export class DevicePolling {
  readonly #polls: Adapter;

  /** `polls`: the artifact storage's adapter for the `DevicePoll` model. */
  constructor(polls: Adapter) {
    this.#polls = polls;
  }

  /** Adds `interval` to every device authorization answer. */
  static announceInterval(provider: Provider): void {
    provider.on('device_authorization.success', (_ctx: unknown, body: Record<string, unknown>) => {
      body.interval = DEVICE_POLL_INTERVAL_SECONDS;
    });
  }

  /** A token request's form body: when it polls a pending device code too soon, the interval now owed; else undefined. */
  async tooSoon(provider: Provider, form: Buffer | undefined, now = Date.now()): Promise<number | undefined> {
    if (!form) return undefined;
    const params = new URLSearchParams(form.toString('utf8'));
    const deviceCode = params.get('device_code');
    if (params.get('grant_type') !== DEVICE_GRANT || !deviceCode) return undefined;
    const code = await provider.DeviceCode.find(deviceCode).catch(() => undefined);
    if (!code || code.accountId || code.error || !code.exp) return undefined;
    const expiresIn = code.exp - Math.floor(now / 1000);
    if (expiresIn <= 0) return undefined;
    return this.#poll(digest(deviceCode), expiresIn, now);
  }

  async #poll(id: string, expiresIn: number, now: number): Promise<number | undefined> {
    const last = (await this.#polls.find(id)) as LastPoll | undefined;
    const interval = last?.interval ?? DEVICE_POLL_INTERVAL_SECONDS;
    const early = last !== undefined && now - last.at < interval * 1000 - EARLY_SLACK_MS;
    const owed = early ? interval + SLOW_DOWN_STEP_SECONDS : interval;
    await this.#polls.upsert(id, { at: now, interval: owed }, expiresIn);
    return early ? owed : undefined;
  }
}

/** The device code is a bearer secret: it is stored only as its digest. */
function digest(deviceCode: string): string {
  return createHash('sha256').update(deviceCode).digest('base64url');
}
