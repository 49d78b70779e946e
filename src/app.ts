import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import { clientRoutes } from './clients/client.routes.ts';
import { ClientRepository } from './clients/client.repo.ts';
import { ClientService, type ClientMetadataValidator } from './clients/client.service.ts';
import type { Config } from './config/load-config.ts';
import { deriveKey } from './crypto/derived-keys.ts';
import { LoginThrottle } from './credentials/login-throttle.ts';
import { CustomerRepository } from './customers/customer.repo.ts';
import { customerRoutes } from './customers/customer.routes.ts';
import { CustomerService, DEFAULT_POOL } from './customers/customer.service.ts';
import { DomainError } from './errors/domain-error.ts';
import { AuditLog } from './events/audit-log.ts';
import { auditRoutes } from './events/audit.routes.ts';
import { ConsentLedger } from './consent/consent-ledger.ts';
import { ConsentPurposes } from './consent/consent-purposes.ts';
import { PurposeRequests } from './oidc/purpose-requests.ts';
import { buildPrivacy } from './privacy/privacy-module.ts';
import { buildFederation } from './federation/federation-module.ts';
import { buildProfile } from './profile/profile-module.ts';
import { Guests } from './guests/guests.ts';
import { Brands } from './brands/brands.ts';
import { brandAssetRoutes, brandRoutes } from './brands/brand.routes.ts';
import { brandNoticeRoutes } from './flows/brand-notice.routes.ts';
import { guestRoutes } from './guests/guest.routes.ts';
import { consentRoutes } from './consent/consent.routes.ts';
import { EventPublisher } from './events/event-publisher.ts';
import { WebhookDeliveries } from './events/webhook-deliveries.ts';
import { webhookRoutes } from './events/webhook.routes.ts';
import { WebhookSubscriptions } from './events/webhook-subscriptions.ts';
import { WebhookWorker } from './events/webhook-worker.ts';
import { accountPages } from './account/account-pages.ts';
import { CustomerSessions } from './account/customer-sessions.ts';
import { SecurityNotices } from './account/security-notices.ts';
import { PhoneVerification } from './account/phone-verification.ts';
import { EmailVerification } from './flows/email-verification.ts';
import { OneTimeCodes } from './credentials/one-time-codes.ts';
import { Passkeys } from './credentials/passkeys.ts';
import { SecondFactors } from './credentials/second-factors.ts';
import { CodeDelivery } from './credentials/code-delivery.ts';
import { EmailCodeSignIn } from './flows/email-code-sign-in.ts';
import { OutboundGuard } from './outbound/outbound-guard.ts';
import { Admission } from './http/admission.ts';
import { hashingSlots } from './credentials/hashing-slots.ts';
import { installAddressLimit, MemoryHitCounter, RateLimit, RedisHitCounter } from './http/rate-limit.ts';
import { ApiKeys } from './operators/api-keys.ts';
import { CallerVerifications } from './customer-service/caller-verifications.ts';
import { customerServiceRoutes } from './customer-service/customer-service.routes.ts';
import { CustomerTimeline } from './customer-service/customer-timeline.ts';
import { apiKeyRoutes } from './operators/api-key.routes.ts';
import { operatorAuth } from './http/operator-auth.ts';
import { DeviceCodeGuesses } from './oidc/device-code-guesses.ts';
import { InteractionContext, type LoadedInteraction } from './http/interaction-context.ts';
import { InteractionFlowStore } from './oidc/interaction-flows.ts';
import { PasswordRecovery } from './flows/password-recovery.ts';
import { PasswordSignIn } from './flows/password-sign-in.ts';
import { SmsCodeSignIn } from './flows/sms-code-sign-in.ts';
import { afterSignIn } from './flows/after-sign-in/steps.ts';
import { PageSteps } from './http/page-step.ts';
import { SignInContinuation } from './http/sign-in-continuation.ts';
import { signInPages } from './flows/sign-in-pages.ts';
import { devOutboxRoutes } from './messaging/dev-outbox.routes.ts';
import { buildMessaging, type Messaging } from './messaging/messaging.ts';
import { ApiRegistry } from './http/api-route.ts';
import { CsrfGuard } from './http/csrf.ts';
import { installErrorHandling } from './http/error-handler.ts';
import { installSecurityHeaders } from './http/security-headers.ts';
import { deleteExpiredArtifacts } from './oidc/artifact-adapter.ts';
import { ArtifactStorage } from './oidc/artifact-storage.ts';
import { RedisArtifacts } from './oidc/redis-artifact-adapter.ts';
import { openRedis, subscriberOf } from './store/redis.ts';
import { LocalChangeNotices, ReadCache, RedisChangeNotices } from './store/change-notices.ts';
import { clientMetadata } from './oidc/client-adapter.ts';
import { createProvider, TTL } from './oidc/provider.ts';
import { providerPages } from './pages/oidc-provider.page.ts';
import { ProviderHost } from './oidc/provider-host.ts';
import { providerRoutes } from './oidc/provider.routes.ts';
import { SIGNING_KEYS_TOPIC, SigningKeyStore } from './oidc/signing-keys.ts';
import { healthRoutes } from './ops/health.routes.ts';
import { Metrics } from './ops/metrics.ts';
import { openStore, type Store } from './store/database.ts';
import { migrateToLatest } from './store/migrate.ts';

export interface Portvakt {
  app: FastifyInstance;
  store: Store;
  host: ProviderHost;
  customers: CustomerService;
  clients: ClientService;
  keys: SigningKeyStore;
  messaging: Messaging;
  /** Shutting down soon: /readyz answers 503 and every answer closes its connection. */
  drain(): void;
  close(): Promise<void>;
}

const API_BODY_LIMIT = 64 * 1024;
const FORM_BODY_LIMIT = 16 * 1024;
const CODE_TTL_MS = 15 * 60_000;
/**
 * How long a node may serve a client from its cache. A change reaches every node at once through
 * Redis; without Redis, other processes on the same database see it within this time.
 */
const CLIENT_CACHE_MS = 10_000;
/** Delivered and dead outbox rows are kept this long for inspection, then deleted. */
const OUTBOX_RETENTION_MS = 7 * 24 * 3600_000;
const stylesheet = readFileSync(new URL('./pages/assets/portvakt.css', import.meta.url));
const passkeyScript = readFileSync(new URL('./pages/assets/passkeys.js', import.meta.url));

/** Composition root: store → services → provider → HTTP. Nothing listens until `app.listen`. */
export interface BuildOptions {
  /** Where pino writes; stdout when absent. */
  logStream?: NodeJS.WritableStream;
}

export async function buildPortvakt(config: Config, options: BuildOptions = {}): Promise<Portvakt> {
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
  });
  // A Host that is no URL authority (a port above 65535, a broken IPv6 literal) is refused here:
  // oidc-provider builds absolute URLs from it and would fail with a 500. No Host at all is an
  // HTTP/1.0 request (a load balancer's health check); Node refuses HTTP/1.1 without one.
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host;
    if (host !== undefined && !URL.canParse(`http://${host}/`)) {
      return reply.code(400).send({ error: 'invalid_host', message: 'The Host header is not a valid host[:port]' });
    }
  });
  let draining = false;
  app.addHook('onRequest', async (_request, reply) => {
    // On the raw response: oidc-provider's routes write it directly, past Fastify's reply headers.
    if (draining) reply.raw.setHeader('connection', 'close');
  });

  const store = openStore(config.database, (error) => app.log.warn({ err: error }, 'idle database connection failed'));
  await migrateToLatest(store.db);
  const redis = config.redisUrl ? openRedis(config.redisUrl, config.redisPrefix, (error) => app.log.warn({ err: error }, 'redis connection failed')) : undefined;
  const artifacts = new ArtifactStorage(store.db, redis && new RedisArtifacts(redis));
  // Cached lookups (clients, brands, the profile schema) are forgotten on every node when the record changes.
  const changes = redis
    ? new RedisChangeNotices(redis, subscriberOf(redis, (error) => app.log.warn({ err: error }, 'redis subscriber failed')), config.redisPrefix, (error) => app.log.warn({ err: error }, 'change notice failed'))
    : new LocalChangeNotices();

  const metrics = new Metrics();
  const customerRepo = new CustomerRepository(store.db);
  const audit = new AuditLog(store.db);
  const customers = new CustomerService(customerRepo, config.passwordMinLength, (id, trx) => artifacts.revokeAccount(trx, id), audit);
  const publisher = new EventPublisher();
  customers.publishTo(publisher);
  const subscriptions = new WebhookSubscriptions(store.db, deriveKey(config.secret, 'webhook-secret'));
  const deliveries = new WebhookDeliveries(store.db, store.dialect, { baseDelayMs: config.webhooks.retryBaseMs, maxDelayMs: config.webhooks.retryMaxMs, maxAttempts: config.webhooks.maxAttempts, leaseMs: config.webhooks.timeoutMs + 30_000 });
  // Calls out to addresses named through the API are checked against internal networks.
  const outbound = new OutboundGuard(config.outboundAllowInternal);
  const webhookWorker = new WebhookWorker({ db: store.db, deliveries, subscriptions, publisher, log: app.log, pollMs: config.outbox.pollMs, timeoutMs: config.webhooks.timeoutMs, fetch: outbound.fetch });
  webhookWorker.start();
  const purposes = new ConsentPurposes(store.db, audit);
  const ledger = new ConsentLedger({ db: store.db, purposes, audit, events: publisher, ipKey: deriveKey(config.secret, 'ip-pseudonym') });
  const profile = buildProfile({ db: store.db, audit, events: publisher, changes });
  const guests = new Guests({ db: store.db, ledger, audit, events: publisher, pool: DEFAULT_POOL });
  const brands = new Brands(store.db, audit, changes);
  const clientRepo = new ClientRepository(store.db, new ReadCache('client', changes, CLIENT_CACHE_MS));
  const throttle = new LoginThrottle(store.db, config.throttle, deriveKey(config.secret, 'ip-pseudonym'));
  const passwordSignIn = new PasswordSignIn(customers, throttle, audit);
  const messaging = buildMessaging(config, store.db, app.log);
  const codes = new OneTimeCodes(store.db, deriveKey(config.secret, 'one-time-code'), { maxAttempts: config.codes.maxAttempts, ttlMs: CODE_TTL_MS });
  const flows = new InteractionFlowStore(store.db, TTL.Interaction * 1000);
  const brand = { name: config.brandName, host: new URL(config.issuer).host };
  const federation = buildFederation({ config, db: store.db, audit, customers, flows, pool: DEFAULT_POOL, fetch: outbound.fetch });
  const privacy = buildPrivacy({ config, fetch: outbound.fetch, db: store.db, dialect: store.dialect, audit, events: publisher, customers, ledger, messenger: messaging.messenger, brand, log: app.log });
  const delivery = new CodeDelivery({ db: store.db, codes, messenger: messaging.messenger, throttle, brand, sendsPerTarget: config.codes.sendsPerTarget, audit });
  const flowDeps = { delivery, customers, flows, issuer: config.issuer, pool: DEFAULT_POOL };
  const emailCode = new EmailCodeSignIn(flowDeps);
  const recovery = new PasswordRecovery(flowDeps);
  const smsCode = new SmsCodeSignIn(flowDeps);
  const verification = new EmailVerification({ delivery, customers, issuer: config.issuer });
  customers.onEmailToVerify((trx, customer) => verification.sendWithin(trx, customer));
  const factors = new SecondFactors({
    db: store.db,
    secretKey: deriveKey(config.secret, 'totp-secret'),
    codeKey: deriveKey(config.secret, 'recovery-code'),
    throttle,
    issuerName: config.brandName,
    freeAttempts: config.throttle.accountFreeAttempts,
    audit,
  });
  const passkeys = new Passkeys({ db: store.db, codes, throttle, audit, issuer: config.issuer, rpName: config.brandName });
  const sessions = new CustomerSessions(store.db, audit, artifacts);
  const phones = new PhoneVerification({ delivery, customers });
  const notices = new SecurityNotices({ db: store.db, customers, messenger: messaging.messenger, brand, issuer: config.issuer });
  const keys = new SigningKeyStore(store.db, config.secret);

  const deviceCodeGuesses = new DeviceCodeGuesses(throttle, config.deviceCodeFreeGuesses);
  const host = await ProviderHost.start(keys, (jwks) => {
    const provider = createProvider(
      {
        issuer: config.issuer,
        artifacts,
        clients: clientRepo,
        findCustomer: (id) => customerRepo.findById(id),
        purposeRequests: new PurposeRequests(purposes, ledger),
        referencesOf: (id) => privacy.references.list(id),
        attributesOf: (id) => profile.attributes.of(id),
        // Under single sign-on the visit is recorded here when no notice is due (the notice records its own).
        brandNoticeDue: async (id, brand) => (await brands.arrive(id, brand)) !== undefined,
        grantedConsents: async (id) => (await ledger.state(id)).filter((entry) => entry.effective).map((entry) => ({ purpose: entry.purpose, version: entry.version! })),
        cookieKeys: [deriveKey(config.secret, 'cookie-signing').toString('base64url')],
        trustProxy: config.trustProxy,
        pages: providerPages,
      },
      jwks,
    );
    observeProvider(provider, metrics, app, sessions);
    return provider;
  });
  const clients = new ClientService(clientRepo, validatorFor(host), audit);

  await app.register(fastifyCookie);
  installSecurityHeaders(app, config.issuer.startsWith('https://'));
  metrics.install(app);
  // Campaign bursts: password work beyond the limit is turned away politely (429), the rest is served.
  hashingSlots.limit = config.hashConcurrency;
  const admission = new Admission(config.admission);
  admission.install(app);
  // Per address (pages) and per client (token endpoints); shared by every node through Redis when set.
  const hits = redis ? new RedisHitCounter(redis) : new MemoryHitCounter();
  const onCounterError = (error: unknown) => app.log.warn({ err: error }, 'rate-limit counter unavailable; request let through');
  installAddressLimit(app, new RateLimit(hits, 'address', config.rateLimits.ipPerMinute, onCounterError));
  const perClient = new RateLimit(hits, 'client', config.rateLimits.clientPerMinute, onCounterError);
  installErrorHandling(app);

  healthRoutes(app, { store, metrics, metricsToken: config.metricsToken, draining: () => draining });
  app.get('/assets/portvakt.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  );
  app.get('/assets/passkeys.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(passkeyScript),
  );

  const callerVerifications = new CallerVerifications({ db: store.db, customers, delivery, audit });
  const csrf = new CsrfGuard(config.issuer);
  const interactions = new InteractionContext(host, async (key) => {
    const brand = await brands.find(key);
    return brand && { key: brand.key, name: brand.name, version: brand.version, hasLogo: brand.hasLogo, sender: brand.sender };
  });
  const continuation = new SignInContinuation(
    interactions,
    afterSignIn({ flows, audit, customers, factors, links: federation.links, notices, guests, ledger, brands, profileDueKeys: profile.dueKeys }),
  );
  const steps = new PageSteps({ interactions, flows, csrf });
  await app.register(async (pages) => {
    pages.removeAllContentTypeParsers();
    await pages.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });
    const upstreams = (loaded: LoadedInteraction) => federation.offeredTo(String(loaded.details.params.client_id), loaded.brand);
    signInPages(pages, { interactions, customers, flows, steps, continuation, factors, notices, csrf, metrics, passwordMinLength: config.passwordMinLength, purposes, ledger, host, passwordSignIn, emailCode, recovery, smsCode, passkeys, audit, upstreams, brands, guestFor: (token) => guests.byToken(token) });
    federation.pageRoutes(pages, { interactions, continuation, csrf, metrics });
    profile.pageRoutes(pages, { steps, flows, continuation });
    brandNoticeRoutes(pages, { steps, flows, continuation, brands });
    accountPages(pages, { host, issuer: config.issuer, links: federation.links, verifications: callerVerifications, customers, sessions, factors, passkeys, notices, csrf, verification, phones, purposes, ledger, systems: privacy.systems, requests: privacy.requests, exports: privacy.exports });
  });
  if (messaging.devOutbox) devOutboxRoutes(app, messaging.devOutbox);

  const api = new ApiRegistry();
  const apiKeys = new ApiKeys(store.db, audit);
  await app.register(
    async (scope) => {
      scope.removeContentTypeParser('text/plain');
      scope.get('/openapi.json', async () => api.openapi(`${config.issuer}/api/v1`));
      await scope.register(async (secured) => {
        secured.addHook('onRequest', operatorAuth({ adminKey: config.adminKey, keys: apiKeys, host }));
        apiKeyRoutes(secured, api, apiKeys);
        customerServiceRoutes(secured, api, { verifications: callerVerifications, timeline: new CustomerTimeline(store.db) });
        clientRoutes(secured, api, clients);
        customerRoutes(secured, api, customers, verification, privacy.references);
        auditRoutes(secured, api, audit);
        webhookRoutes(secured, api, { subscriptions, deliveries, worker: webhookWorker });
        consentRoutes(secured, api, { purposes, ledger, customers });
        privacy.apiRoutes(secured, api);
        federation.apiRoutes(secured, api);
        profile.apiRoutes(secured, api);
        guestRoutes(secured, api, guests);
        brandRoutes(secured, api, brands);
      });
    },
    { prefix: '/api/v1' },
  );

  privacy.publicRoutes(app);
  brandAssetRoutes(app, brands);
  await app.register(async (scope) => providerRoutes(scope, host, deviceCodeGuesses, perClient));

  const refreshKeys = () =>
    host.refreshKeys().then(
      (swapped) => swapped && app.log.info('signing keys changed; provider reloaded'),
      (error: unknown) => app.log.error({ err: error }, 'signing key refresh failed'),
    );
  // `portvakt keys rotate` announces a rotation through Redis; the timer bounds the wait without it.
  changes.subscribe(SIGNING_KEYS_TOPIC, () => void refreshKeys());
  const timers = [
    setInterval(() => void refreshKeys(), config.keyRefreshMs),
    setInterval(() => {
      Promise.all([
        deleteExpiredArtifacts(store.db),
        throttle.deleteStale(),
        codes.deleteExpired(),
        flows.deleteExpired(),
        messaging.outbox.deleteFinished(Date.now() - OUTBOX_RETENTION_MS),
        sessions.deleteStale(Date.now() - TTL.Session * 1000),
        privacy.exports.clearExpired(),
        guests.deleteExpired(),
      ]).catch((error: unknown) =>
        app.log.error({ err: error }, 'cleanup of expired rows failed'),
      );
    }, config.cleanupIntervalMs),
  ];
  for (const timer of timers) timer.unref();

  return {
    app,
    store,
    host,
    customers,
    clients,
    keys,
    messaging,
    drain() {
      draining = true;
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      await app.close();
      admission.stop();
      await Promise.all([messaging.close(), webhookWorker.stop(), privacy.close()]);
      await changes.close();
      await store.close();
      await redis?.quit();
    },
  };
}

/** Client metadata is checked by oidc-provider's own schema before it is stored. */
function validatorFor(host: ProviderHost): ClientMetadataValidator {
  return async (clientId, metadata, secretHash) => {
    try {
      await host.current.Client.validate(clientMetadata({ clientId, secretHash, metadata }) as never);
    } catch (error) {
      const oauth = error as { error?: string; error_description?: string; message?: string };
      throw new DomainError(oauth.error ?? 'invalid_client_metadata', 400, oauth.error_description ?? oauth.message ?? 'invalid client metadata');
    }
  };
}

function observeProvider(provider: Provider, metrics: Metrics, app: FastifyInstance, sessions: CustomerSessions): void {
  // Last use of each browser session, for the customer's list of devices.
  provider.on('authorization.success', (ctx) => {
    const session = ctx.oidc.session;
    if (!session?.accountId) return;
    sessions.touch(session.uid, session.accountId, String(ctx.get('user-agent') ?? '')).catch((error: unknown) => app.log.warn({ err: error }, 'could not record session use'));
  });
  provider.on('grant.success', (ctx) => metrics.tokenIssued(String(ctx.oidc.params?.grant_type ?? 'unknown')));
  provider.on('server_error', (_ctx, error) => app.log.error({ err: error }, 'oidc-provider server error'));
}
