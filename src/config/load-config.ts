import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { smsSettingsFrom, type SmsSettings } from './sms-settings.ts';
import { defaultHashConcurrency } from './hash-concurrency.ts';
import { envSchema, type Env } from './schema.ts';

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; /** Connections per process. */ poolMax?: number };

export interface Config {
  port: number;
  host: string;
  issuer: string;
  production: boolean;
  database: DatabaseConfig;
  dataDir: string;
  redisUrl: string | undefined;
  redisPrefix: string;
  rateLimits: { ipPerMinute: number; clientPerMinute: number };
  shutdownGraceMs: number;
  secret: string;
  adminKey: string | undefined;
  metricsToken: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  /** Fastify's trustProxy: false, true, or the proxy addresses/CIDRs. */
  trustProxy: boolean | string[];
  passwordMinLength: number;
  throttle: {
    accountFreeAttempts: number;
    ipFreeAttempts: number;
    delayBaseSeconds: number;
    delayMaxSeconds: number;
    failureWindowSeconds: number;
  };
  /** A console session ends after this long without a request. */
  consoleIdleMs: number;
  /** The company's workforce OpenID provider for console sign-in, when configured. */
  consoleWorkforce: WorkforceSettings | undefined;
  keyRefreshMs: number;
  cleanupIntervalMs: number;
  brandName: string;
  mail: { smtpUrl: string | undefined; from: string };
  /** Who is responsible for customers' data where a brand names none (sign-up and consent pages). */
  responsibility: { controller: string | null; privacyNoticeUrl: string | null };
  sms: SmsSettings;
  /** Outside production, mail without SMTP (and SMS without a provider) lands in /dev/outbox. */
  devOutbox: boolean;
  outbox: { pollMs: number; retryBaseMs: number; retryMaxMs: number };
  codes: { maxAttempts: number; sendsPerTarget: number };
  webhooks: { retryBaseMs: number; retryMaxMs: number; maxAttempts: number; timeoutMs: number };
  privacy: { retryBaseMs: number; retryMaxMs: number; maxAttempts: number; timeoutMs: number; callbackWaitMs: number };
  /** The purpose that gates personalization, and how long signals are kept. */
  personalization: { purpose: string; retentionDays: number };
  upstreamTimeoutMs: number;
  admission: { maxInFlight: number; maxEventLoopDelayMs: number };
  /** argon2id computations at once in this process. */
  hashConcurrency: number;
  /** The largest upload `POST /api/v1/imports` takes. */
  importUploadMaxBytes: number;
  deviceCodeFreeGuesses: number;
  /** Internal addresses calls out may reach: every one (true), none (false), or these networks. */
  outboundAllowInternal: boolean | string[];
}

export interface WorkforceSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Console roles by group (a value of the groups claim). */
  groupRoles: ReadonlyMap<string, Array<'admin' | 'agent' | 'privacy_officer'>>;
  groupsClaim: string;
  label: string;
}

function workforceFrom(values: Env): WorkforceSettings | undefined {
  if (!values.CONSOLE_OIDC_ISSUER || !values.CONSOLE_OIDC_CLIENT_ID || !values.CONSOLE_OIDC_CLIENT_SECRET || !values.CONSOLE_OIDC_GROUP_ROLES) return undefined;
  const groupRoles = new Map<string, Array<'admin' | 'agent' | 'privacy_officer'>>();
  for (const pair of values.CONSOLE_OIDC_GROUP_ROLES.split(',')) {
    const [group, role] = pair.split('=') as [string, 'admin' | 'agent' | 'privacy_officer'];
    groupRoles.set(group, [...new Set([...(groupRoles.get(group) ?? []), role])]);
  }
  return { issuer: values.CONSOLE_OIDC_ISSUER, clientId: values.CONSOLE_OIDC_CLIENT_ID, clientSecret: values.CONSOLE_OIDC_CLIENT_SECRET, groupRoles, groupsClaim: values.CONSOLE_OIDC_GROUPS_CLAIM, label: values.CONSOLE_OIDC_LABEL };
}

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const values = parseEnv(env);
  const production = values.NODE_ENV === 'production';
  const dataDir = resolve(values.PORTVAKT_DATA_DIR);
  const secret = values.PORTVAKT_SECRET ?? devSecret(dataDir, production);
  const issuer = values.ISSUER ?? `http://localhost:${values.PORT}`;
  checkRules(values, issuer, production);
  let sms: SmsSettings;
  try {
    sms = smsSettingsFrom(values);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return configFrom(values, { issuer, production, dataDir, secret, sms });
}

function parseEnv(env: Record<string, string | undefined>): Env {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(defined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')} ${issue.message}`);
  }
  return parsed.data;
}

/** Rules between variables, and what production insists on. */
function checkRules(values: Env, issuer: string, production: boolean): void {
  if (production && !issuer.startsWith('https://')) {
    throw new ConfigError('ISSUER must be an https URL when NODE_ENV=production');
  }
  // Portvakt speaks plain HTTP behind a TLS proxy: without trusting that proxy it cannot tell the
  // request came over https, and session cookies would lose their Secure flag.
  if (production && values.TRUST_PROXY === false) {
    throw new ConfigError('TRUST_PROXY must name the TLS proxy (its addresses/CIDRs) when NODE_ENV=production');
  }
  if (values.LOGIN_DELAY_MAX_SECONDS < values.LOGIN_DELAY_BASE_SECONDS) {
    throw new ConfigError('LOGIN_DELAY_MAX_SECONDS must not be below LOGIN_DELAY_BASE_SECONDS');
  }
  // A window shorter than the longest lock would forget the failures while the lock runs, and
  // hand out the free attempts again after every lock.
  if (values.LOGIN_FAILURE_WINDOW_SECONDS < values.LOGIN_DELAY_MAX_SECONDS) {
    throw new ConfigError('LOGIN_FAILURE_WINDOW_SECONDS must not be below LOGIN_DELAY_MAX_SECONDS');
  }
  const workforce = [values.CONSOLE_OIDC_ISSUER, values.CONSOLE_OIDC_CLIENT_ID, values.CONSOLE_OIDC_CLIENT_SECRET, values.CONSOLE_OIDC_GROUP_ROLES];
  if (workforce.some((value) => value !== undefined) && workforce.some((value) => value === undefined)) {
    throw new ConfigError('CONSOLE_OIDC_ISSUER, CONSOLE_OIDC_CLIENT_ID, CONSOLE_OIDC_CLIENT_SECRET and CONSOLE_OIDC_GROUP_ROLES go together: set all four or none');
  }
  if (production && values.CONSOLE_OIDC_ISSUER?.startsWith('http://')) {
    throw new ConfigError('CONSOLE_OIDC_ISSUER must be an https URL when NODE_ENV=production');
  }
  if (production && values.SMTP_URL === undefined) {
    throw new ConfigError('SMTP_URL is required when NODE_ENV=production (codes and links are sent by e-mail)');
  }
}

/** The variables as the code reads them: a table, one setting a line. */
function configFrom(values: Env, derived: { issuer: string; production: boolean; dataDir: string; secret: string; sms: SmsSettings }): Config {
  const { issuer, production, dataDir, secret, sms } = derived;
  return {
    port: values.PORT,
    host: values.HOST,
    issuer,
    production,
    database: databaseFrom(values.DATABASE_URL, dataDir, values.DATABASE_POOL_MAX),
    dataDir,
    redisUrl: values.REDIS_URL,
    redisPrefix: values.REDIS_PREFIX,
    rateLimits: { ipPerMinute: values.RATE_LIMIT_IP_PER_MINUTE, clientPerMinute: values.RATE_LIMIT_CLIENT_PER_MINUTE },
    shutdownGraceMs: values.SHUTDOWN_GRACE_SECONDS * 1000,
    secret,
    adminKey: values.PORTVAKT_ADMIN_KEY,
    metricsToken: values.METRICS_TOKEN,
    logLevel: values.LOG_LEVEL,
    trustProxy: values.TRUST_PROXY,
    passwordMinLength: values.PASSWORD_MIN_LENGTH,
    throttle: {
      accountFreeAttempts: values.LOGIN_FREE_ATTEMPTS,
      ipFreeAttempts: values.LOGIN_IP_FREE_ATTEMPTS,
      delayBaseSeconds: values.LOGIN_DELAY_BASE_SECONDS,
      delayMaxSeconds: values.LOGIN_DELAY_MAX_SECONDS,
      failureWindowSeconds: values.LOGIN_FAILURE_WINDOW_SECONDS,
    },
    consoleIdleMs: values.CONSOLE_IDLE_TIMEOUT_SECONDS * 1000,
    consoleWorkforce: workforceFrom(values),
    keyRefreshMs: values.KEY_REFRESH_SECONDS * 1000,
    cleanupIntervalMs: values.CLEANUP_INTERVAL_SECONDS * 1000,
    brandName: values.BRAND_NAME,
    mail: { smtpUrl: values.SMTP_URL, from: values.MAIL_FROM },
    responsibility: { controller: values.CONTROLLER_NAME ?? null, privacyNoticeUrl: values.PRIVACY_NOTICE_URL ?? null },
    sms,
    devOutbox: !production,
    outbox: { pollMs: values.OUTBOX_POLL_MS, retryBaseMs: values.OUTBOX_RETRY_BASE_MS, retryMaxMs: values.OUTBOX_RETRY_MAX_MS },
    codes: { maxAttempts: values.CODE_MAX_ATTEMPTS, sendsPerTarget: values.CODE_SENDS_PER_TARGET },
    webhooks: { retryBaseMs: values.WEBHOOK_RETRY_BASE_MS, retryMaxMs: values.WEBHOOK_RETRY_MAX_MS, maxAttempts: values.WEBHOOK_MAX_ATTEMPTS, timeoutMs: values.WEBHOOK_TIMEOUT_MS },
    privacy: { retryBaseMs: values.PRIVACY_RETRY_BASE_MS, retryMaxMs: values.PRIVACY_RETRY_MAX_MS, maxAttempts: values.PRIVACY_MAX_ATTEMPTS, timeoutMs: values.PRIVACY_TIMEOUT_MS, callbackWaitMs: values.PRIVACY_CALLBACK_WAIT_MS },
    personalization: { purpose: values.PERSONALIZATION_PURPOSE, retentionDays: values.SIGNAL_RETENTION_DAYS },
    upstreamTimeoutMs: values.UPSTREAM_TIMEOUT_MS,
    admission: { maxInFlight: values.ADMISSION_MAX_SIGN_INS, maxEventLoopDelayMs: values.ADMISSION_MAX_LOOP_DELAY_MS },
    deviceCodeFreeGuesses: values.DEVICE_CODE_FREE_GUESSES,
    hashConcurrency: values.PASSWORD_HASH_CONCURRENCY ?? defaultHashConcurrency(),
    importUploadMaxBytes: values.IMPORT_UPLOAD_MAX_BYTES,
    outboundAllowInternal: values.OUTBOUND_ALLOW_INTERNAL ?? !production,
  };
}

function databaseFrom(url: string | undefined, dataDir: string, poolMax: number): DatabaseConfig {
  if (url === undefined) return { kind: 'sqlite', file: join(dataDir, 'portvakt.db') };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file === '') throw new ConfigError('DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/portvakt.db');
    return { kind: 'sqlite', file: file === ':memory:' || isAbsolute(file) ? file : resolve(file) };
  }
  return { kind: 'postgres', url, poolMax };
}

/** Outside production a missing secret is generated once and kept beside the embedded database. */
function devSecret(dataDir: string, production: boolean): string {
  if (production) throw new ConfigError('PORTVAKT_SECRET is required when NODE_ENV=production');
  const file = join(dataDir, 'secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process started at the same moment and wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8').trim();
  }
}
