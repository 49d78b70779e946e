import type { FastifyInstance } from 'fastify';
import type { Clients } from './clients/clients.ts';
import type { Config } from './config/load-config.ts';
import type { Customers } from './customers/customers.ts';
import type { Messaging } from './messaging/messaging.ts';
import type { ProviderHost } from './oidc/provider-host.ts';
import type { SigningKeyStore } from './oidc/signing-keys.ts';
import type { Store } from './store/database.ts';
import { createHttpServer, installGuards, type BuildOptions } from './app/http-server.ts';
import { mountConsole } from './app/console.ts';
import type { ConsoleSteps } from './console/console-steps.ts';
import { mountHostedPages } from './app/hosted-pages.ts';
import { scheduleMaintenance, startWorkers } from './app/maintenance.ts';
import { mountManagementApi, mountScim, mountSystemCallbacks } from './app/management-api.ts';
import { mountProtocol } from './app/protocol.ts';
import type { Personalization } from './personalization/personalization.ts';
import { buildServices } from './app/services.ts';

export type { BuildOptions } from './app/http-server.ts';

export interface Portvakt {
  app: FastifyInstance;
  store: Store;
  host: ProviderHost;
  customers: Customers;
  clients: Clients;
  keys: SigningKeyStore;
  messaging: Messaging;
  /** Signals and segments: the cleanup job's work, callable with another clock (tests of time windows and retention). */
  personalization: Personalization;
  /** The console's pages and posts, each with the management operation it runs. */
  consoleRoutes: ConsoleSteps['routes'];
  /** Shutting down soon: /readyz answers 503 and every answer closes its connection. */
  drain(): void;
  close(): Promise<void>;
}

/**
 * Composition root: the services are built once (`app/services.ts`), then each audience is
 * mounted by a function of its own — guards and health, hosted pages, the management API, the
 * callbacks of connected systems, the protocol — and the workers and timers start. Nothing
 * listens until `app.listen`.
 */
export async function buildPortvakt(config: Config, options: BuildOptions = {}): Promise<Portvakt> {
  const server = createHttpServer(config, options);
  const { app } = server;
  const services = await buildServices(config, app.log);
  const stopWorkers = startWorkers(services);
  const { admission, perClient } = await installGuards(server, services);
  await mountHostedPages(app, services);
  const api = await mountManagementApi(app, services);
  const consoleSteps = await mountConsole(app, services, api);
  mountSystemCallbacks(app, services);
  await mountScim(app, services);
  await mountProtocol(app, services, services, perClient);
  const stopMaintenance = scheduleMaintenance(services);
  const { store, host, customers, clients, keys, messaging, personalization } = services;
  return {
    app,
    store,
    host,
    customers,
    clients,
    keys,
    messaging,
    personalization,
    consoleRoutes: () => consoleSteps.routes(),
    drain: server.drain,
    async close() {
      stopMaintenance();
      await app.close();
      admission.stop();
      await stopWorkers();
      await services.changes.close();
      await store.close();
      await services.redis?.quit();
    },
  };
}
