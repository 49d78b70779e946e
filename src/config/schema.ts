import { isIP } from 'node:net';
import { httpsUrl } from '../validation/https-url.ts';
import { z } from 'zod';
import { smsEnvSchema } from './sms-settings.ts';

/**
 * Every setting Portvakt reads from the environment. Each key is described, has a documented
 * default, and is validated at start: a bad value stops the start with one line naming it.
 */
const intFromEnv = (min: number, max: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min).max(max);

/** `true`, `false`, or a comma-separated list of addresses and CIDRs. */
function booleanOrNetworks(what: string) {
  return z.string().transform((value, ctx): boolean | string[] => {
    if (value === 'false') return false;
    if (value === 'true') return true;
    const entries = value.split(',').map((entry) => entry.trim());
    const bad = entries.find((entry) => {
      const [address = '', prefix] = entry.split('/');
      return !isIP(address) || (prefix !== undefined && !/^\d{1,3}$/.test(prefix));
    });
    if (bad === undefined) return entries;
    ctx.addIssue({ code: 'custom', message: `must be false, true or ${what} (bad entry "${bad}")` });
    return z.NEVER;
  });
}

export const envSchema = z.object({
  PORT: intFromEnv(0, 65535).default(3000).describe('TCP port the server listens on'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Interface to bind'),
  ISSUER: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://id.example.com' })
    .refine((value) => !/[?#]/.test(value) && !value.endsWith('/'), 'must have no query, fragment or trailing slash')
    .optional()
    .describe('OpenID Connect issuer URL (default http://localhost:$PORT)'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres:// or sqlite:')
    .optional()
    .describe('postgres://… for PostgreSQL, sqlite:<path> for SQLite; absent → SQLite at $PORTVAKT_DATA_DIR/portvakt.db'),
  DATABASE_POOL_MAX: intFromEnv(1, 1000)
    .default(10)
    .describe('PostgreSQL connections per process (each worker of --workers has its own pool); keep workers × nodes × this below max_connections'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0')
    .optional()
    .describe('Redis for several nodes: short-lived OpenID Connect artifacts (interactions, codes, access tokens), rate-limit counters and change notices; absent → all of it in the database'),
  REDIS_PREFIX: z.string().min(1).max(100).default('portvakt:').describe('Start of every Redis key Portvakt writes, so several deployments can share one Redis'),
  PORTVAKT_DATA_DIR: z.string().min(1).default('./data').describe('Where the embedded database and the dev secret live'),
  PORTVAKT_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (use `openssl rand -base64 32`)')
    .optional()
    .describe('Key-encryption and cookie-signing secret; generated under the data dir when absent outside production'),
  PORTVAKT_ADMIN_KEY: z
    .string()
    .min(24, 'must be at least 24 characters')
    .optional()
    .describe('Bearer key for the management API; the API refuses every call when unset'),
  METRICS_TOKEN: z
    .string()
    .min(24, 'must be at least 24 characters')
    .optional()
    .describe('Bearer token for /metrics; when unset, /metrics answers only connections from loopback'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: booleanOrNetworks('the proxy addresses/CIDRs')
    .default(false)
    .describe('Which X-Forwarded-* senders to trust: the proxy addresses/CIDRs (best), true (any sender) or false'),
  OUTBOUND_ALLOW_INTERNAL: booleanOrNetworks('the internal networks allowed (CIDRs)')
    .optional()
    .describe('Whether calls out (upstream providers, webhooks, data systems, SMS gateways) may reach internal networks (loopback, private, shared, link-local, unique local): true, false, or the networks allowed. Documentation, benchmarking, reserved, multicast and transition ranges stay refused unless a listed network covers them. Default: false in production, true otherwise'),
  PASSWORD_MIN_LENGTH: intFromEnv(8, 64)
    .default(8)
    .describe('Minimum password length. NIST 800-63B-4 asks 15 when a password is the only factor'),
  LOGIN_FREE_ATTEMPTS: intFromEnv(1, 1000).default(5).describe('Failed sign-ins per account before delays start'),
  LOGIN_IP_FREE_ATTEMPTS: intFromEnv(1, 100000).default(100).describe('Failed sign-ins per client IP before delays start'),
  LOGIN_DELAY_BASE_SECONDS: intFromEnv(1, 3600).default(1).describe('First lockout; doubles with each further failure'),
  LOGIN_DELAY_MAX_SECONDS: intFromEnv(1, 86400).default(900).describe('Longest lockout'),
  LOGIN_FAILURE_WINDOW_SECONDS: intFromEnv(1, 86400)
    .default(3600)
    .describe('Failures older than this (counted from the last failure) are forgotten'),
  CONSOLE_OIDC_ISSUER: z.url().optional().describe("The company's workforce OpenID provider (e.g. https://login.microsoftonline.com/{tenant}/v2.0): operators may sign in to the console there; unset: console accounts only"),
  CONSOLE_OIDC_CLIENT_ID: z.string().min(1).max(200).optional().describe('The console\'s client id at the workforce provider'),
  CONSOLE_OIDC_CLIENT_SECRET: z.string().min(1).max(1000).optional().describe('The console\'s client secret at the workforce provider'),
  CONSOLE_OIDC_GROUP_ROLES: z
    .string()
    .regex(/^[^=,\s]+=(admin|agent|privacy_officer)(,[^=,\s]+=(admin|agent|privacy_officer))*$/, 'must be group=role pairs separated by commas, e.g. 7f3a…=admin,kundtjanst=agent')
    .optional()
    .describe('Which groups (values of the groups claim) give which console role; a person in none of them is refused'),
  CONSOLE_OIDC_GROUPS_CLAIM: z.string().min(1).max(100).default('groups').describe('The ID token claim listing the groups'),
  CONSOLE_OIDC_LABEL: z.string().min(1).max(100).default('your organisation').describe('The name on the sign-in button ("Sign in with …")'),
  CONSOLE_IDLE_TIMEOUT_SECONDS: intFromEnv(60, 86400).default(1800).describe('A console session ends after this long without a request'),
  KEY_REFRESH_SECONDS: intFromEnv(1, 86400).default(60).describe('How often a node looks for rotated signing keys'),
  CLEANUP_INTERVAL_SECONDS: intFromEnv(1, 86400).default(300).describe('How often expired OIDC artifacts are deleted'),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587')
    .optional()
    .describe('SMTP server for e-mail; absent outside production → messages go to the dev outbox at /dev/outbox'),
  MAIL_FROM: z.string().min(3).default('Portvakt <no-reply@localhost>').describe('From address of every e-mail'),
  BRAND_NAME: z.string().min(1).max(80).default('Portvakt').describe('Name shown in messages and pages until brands are configured'),
  CONTROLLER_NAME: z.string().trim().min(2).max(120).optional().describe("The company responsible for customers' data (the controller), named on the sign-up and consent pages of clients with no brand, or whose brand names none"),
  PRIVACY_NOTICE_URL: httpsUrl.optional().describe('The privacy notice linked from those pages'),
  OUTBOX_POLL_MS: intFromEnv(50, 600_000).default(1000).describe('How often the outbox worker looks for due messages'),
  OUTBOX_RETRY_BASE_MS: intFromEnv(10, 600_000).default(1000).describe('First retry of a failed delivery; doubles per attempt'),
  OUTBOX_RETRY_MAX_MS: intFromEnv(10, 3_600_000).default(300_000).describe('Longest wait between delivery attempts'),
  WEBHOOK_RETRY_BASE_MS: intFromEnv(10, 600_000).default(1000).describe('First retry of a failed webhook delivery; doubles per attempt'),
  WEBHOOK_RETRY_MAX_MS: intFromEnv(10, 86_400_000).default(3_600_000).describe('Longest wait between webhook attempts'),
  WEBHOOK_MAX_ATTEMPTS: intFromEnv(1, 100).default(15).describe('Attempts before a webhook delivery is dead (kept, visible and redeliverable)'),
  WEBHOOK_TIMEOUT_MS: intFromEnv(100, 120_000).default(10_000).describe('How long a webhook receiver may take to answer'),
  PRIVACY_RETRY_BASE_MS: intFromEnv(10, 600_000).default(5000).describe('First retry of a privacy task a system failed; doubles per attempt'),
  PRIVACY_RETRY_MAX_MS: intFromEnv(10, 86_400_000).default(3_600_000).describe('Longest wait between attempts of a privacy task'),
  PRIVACY_MAX_ATTEMPTS: intFromEnv(1, 100).default(12).describe('Attempts before a privacy task is dead (the request fails until an operator retries it)'),
  PRIVACY_TIMEOUT_MS: intFromEnv(100, 300_000).default(30_000).describe('How long a system may take to answer a privacy request'),
  PERSONALIZATION_PURPOSE: z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, 'a consent purpose key such as profiling').default('profiling').describe('The consent purpose that gates personalization: signals are kept, and segments released, only for customers whose grant of it counts'),
  SIGNAL_RETENTION_DAYS: intFromEnv(1, 3650).default(365).describe('How long reported events (purchases, views …) are kept before the cleanup job deletes them'),
  PRIVACY_CALLBACK_WAIT_MS: intFromEnv(100, 30 * 86_400_000).default(86_400_000).describe('How long a callback system may take to post its receipt before the request is sent again'),
  DEVICE_CODE_FREE_GUESSES: intFromEnv(1, 1000).default(20).describe('Device codes (RFC 8628) typed per client network within the failure window before each further one locks the network, doubling'),
  IMPORT_UPLOAD_MAX_BYTES: intFromEnv(1, 1_000_000_000_000).default(2 * 1024 ** 3).describe('The largest file POST /api/v1/imports takes (streamed to the data directory); a larger one is a 413 payload_too_large'),
  PASSWORD_HASH_CONCURRENCY: intFromEnv(1, 256).optional().describe('argon2id computations at once per process; the rest queue (bounded by ADMISSION_MAX_SIGN_INS). Default: cores − 1 (at least 1), leaving the event loop a core'),
  ADMISSION_MAX_SIGN_INS: intFromEnv(1, 10_000).default(16).describe('Password sign-ins and sign-ups in progress at once per process before new ones get 429 with Retry-After'),
  ADMISSION_MAX_LOOP_DELAY_MS: intFromEnv(0, 10_000).default(0).describe('Event-loop delay (p99 over a second) above which new password sign-ins get 429; 0: off'),
  RATE_LIMIT_IP_PER_MINUTE: intFromEnv(0, 10_000_000).default(600).describe('Requests per minute from one client network (an IPv6 /64 counts as one) to sign-in, account, device and logout pages before 429; 0: off'),
  RATE_LIMIT_CLIENT_PER_MINUTE: intFromEnv(0, 10_000_000).default(6000).describe('Token, introspection, revocation, PAR and device-authorization requests per minute per client_id and caller network before 429; 0: off'),
  SHUTDOWN_GRACE_SECONDS: intFromEnv(0, 600).default(5).describe('On SIGTERM: how long /readyz answers 503 while requests are still served, so a load balancer stops sending new ones before the port closes'),
  UPSTREAM_TIMEOUT_MS: intFromEnv(100, 120_000).default(10_000).describe('How long an upstream identity provider may take to answer (discovery, token, profile)'),
  CODE_MAX_ATTEMPTS: intFromEnv(1, 100).default(10).describe('Wrong entries after which a one-time code is dead'),
  CODE_SENDS_PER_TARGET: intFromEnv(1, 1000).default(5).describe('Codes sent to one address or phone before sending is delayed'),
  ...smsEnvSchema.shape,
});

export type Env = z.infer<typeof envSchema>;
