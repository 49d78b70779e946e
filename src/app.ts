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
import { CustomerService } from './customers/customer.service.ts';
import { DomainError } from './errors/domain-error.ts';
import { interactionRoutes } from './flows/interaction.routes.ts';
import { PasswordSignIn } from './flows/password-sign-in.ts';
import { SelfRegistration } from './flows/self-registration.ts';
import { adminAuth } from './http/admin-auth.ts';
import { ApiRegistry } from './http/api-route.ts';
import { CsrfGuard } from './http/csrf.ts';
import { installErrorHandling } from './http/error-handler.ts';
import { installSecurityHeaders } from './http/security-headers.ts';
import { deleteExpiredArtifacts, revokeAccountArtifacts } from './oidc/artifact-adapter.ts';
import { clientMetadata } from './oidc/client-adapter.ts';
import { createProvider } from './oidc/provider.ts';
import { ProviderHost } from './oidc/provider-host.ts';
import { providerRoutes } from './oidc/provider.routes.ts';
import { SigningKeyStore } from './oidc/signing-keys.ts';
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
  close(): Promise<void>;
}

const API_BODY_LIMIT = 64 * 1024;
const FORM_BODY_LIMIT = 16 * 1024;
const stylesheet = readFileSync(new URL('./pages/assets/portvakt.css', import.meta.url));

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
  });

  const store = openStore(config.database, (error) => app.log.warn({ err: error }, 'idle database connection failed'));
  await migrateToLatest(store.db);

  const metrics = new Metrics();
  const customerRepo = new CustomerRepository(store.db);
  const customers = new CustomerService(customerRepo, config.passwordMinLength, (id, trx) => revokeAccountArtifacts(trx, id));
  const clientRepo = new ClientRepository(store.db);
  const throttle = new LoginThrottle(store.db, config.throttle, deriveKey(config.secret, 'ip-pseudonym'));
  const passwordSignIn = new PasswordSignIn(customers, throttle);
  const registration = new SelfRegistration(customers, throttle);
  const keys = new SigningKeyStore(store.db, config.secret);

  const host = await ProviderHost.start(keys, (jwks) => {
    const provider = createProvider(
      {
        issuer: config.issuer,
        db: store.db,
        clients: clientRepo,
        findCustomer: (id) => customerRepo.findById(id),
        cookieKeys: [deriveKey(config.secret, 'cookie-signing').toString('base64url')],
        trustProxy: config.trustProxy,
      },
      jwks,
    );
    observeProvider(provider, metrics, app);
    return provider;
  });
  const clients = new ClientService(clientRepo, validatorFor(host));

  await app.register(fastifyCookie);
  installSecurityHeaders(app, config.issuer.startsWith('https://'));
  metrics.install(app);
  installErrorHandling(app);

  healthRoutes(app, store, metrics, config.metricsToken);
  app.get('/assets/portvakt.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  );

  const csrf = new CsrfGuard(config.issuer);
  await app.register(async (pages) => {
    pages.removeAllContentTypeParsers();
    await pages.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });
    interactionRoutes(pages, { host, customers, passwordSignIn, registration, csrf, metrics, passwordMinLength: config.passwordMinLength });
  });

  const api = new ApiRegistry();
  await app.register(
    async (scope) => {
      scope.removeContentTypeParser('text/plain');
      scope.get('/openapi.json', async () => api.openapi(`${config.issuer}/api/v1`));
      await scope.register(async (secured) => {
        secured.addHook('onRequest', adminAuth(config.adminKey));
        clientRoutes(secured, api, clients);
        customerRoutes(secured, api, customers);
      });
    },
    { prefix: '/api/v1' },
  );

  await app.register(async (scope) => providerRoutes(scope, host));

  const timers = [
    setInterval(() => {
      host.refreshKeys().then(
        (swapped) => swapped && app.log.info('signing keys changed; provider reloaded'),
        (error: unknown) => app.log.error({ err: error }, 'signing key refresh failed'),
      );
    }, config.keyRefreshMs),
    setInterval(() => {
      Promise.all([deleteExpiredArtifacts(store.db), throttle.deleteStale()]).catch((error: unknown) =>
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
    async close() {
      for (const timer of timers) clearInterval(timer);
      await app.close();
      await store.close();
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

function observeProvider(provider: Provider, metrics: Metrics, app: FastifyInstance): void {
  provider.on('grant.success', (ctx) => metrics.tokenIssued(String(ctx.oidc.params?.grant_type ?? 'unknown')));
  provider.on('server_error', (_ctx, error) => app.log.error({ err: error }, 'oidc-provider server error'));
}
