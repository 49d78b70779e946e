import { ClientStore } from '../clients/client-store.ts';
import { ConsentFigures } from '../consent/consent-figures.ts';
import { ConsentLedger } from '../consent/consent-ledger.ts';
import { ConsentPurposes } from '../consent/consent-purposes.ts';
import { CredentialStore } from '../credentials/credential-store.ts';
import { CustomerSearch } from '../customers/customer-search.ts';
import { CustomerStore } from '../customers/customer-store.ts';
import { Customers, DEFAULT_POOL } from '../customers/customers.ts';
import { Brands } from '../brands/brands.ts';
import { AuditLog } from '../events/audit-log.ts';
import { EventPublisher } from '../events/event-publisher.ts';
import { WebhookDeliveries } from '../events/webhook-deliveries.ts';
import { WebhookSubscriptions } from '../events/webhook-subscriptions.ts';
import { WebhookWorker } from '../events/webhook-worker.ts';
import { Guests } from '../guests/guests.ts';
import { buildProfile, type Profile } from '../profile/profile-services.ts';
import { ReadCache } from '../store/change-notices.ts';
import { ServiceProviderStore } from '../saml/service-provider-store.ts';
import type { Infrastructure } from './infrastructure.ts';

/**
 * How long a node may serve a client from its cache. A change reaches every node at once through
 * Redis; without Redis, other processes on the same database see it within this time.
 */
const CLIENT_CACHE_MS = 10_000;

/** The customer and what is recorded about them: profile, consent, brands, guests, events out, clients. */
export interface CustomerDomain {
  audit: AuditLog;
  publisher: EventPublisher;
  credentialStore: CredentialStore;
  customerStore: CustomerStore;
  customers: Customers;
  customerSearch: CustomerSearch;
  subscriptions: WebhookSubscriptions;
  deliveries: WebhookDeliveries;
  webhookWorker: WebhookWorker;
  purposes: ConsentPurposes;
  ledger: ConsentLedger;
  consentFigures: ConsentFigures;
  profile: Profile;
  guests: Guests;
  brands: Brands;
  clientStore: ClientStore;
  /** SAML service providers (their OpenID clients are built in, oidc/client-adapter.ts; the data map lists what they receive). */
  serviceProviderStore: ServiceProviderStore;
}

export function buildCustomerDomain({ config, log, store, artifacts, changes, outbound, checkOutboundUrl, metrics }: Infrastructure): CustomerDomain {
  const { db } = store;
  const credentialStore = new CredentialStore(db);
  const customerStore = new CustomerStore(db, credentialStore);
  const audit = new AuditLog(db);
  const customers = new Customers(customerStore, config.passwordMinLength, (id, trx) => artifacts.revokeAccount(trx, id), audit);
  const publisher = new EventPublisher();
  customers.publishTo(publisher);
  const subscriptions = new WebhookSubscriptions(db, config.secrets.sealing('webhook-secret'), checkOutboundUrl);
  const webhooks = config.webhooks;
  const deliveries = new WebhookDeliveries(db, store.dialect, { baseDelayMs: webhooks.retryBaseMs, maxDelayMs: webhooks.retryMaxMs, maxAttempts: webhooks.maxAttempts, leaseMs: webhooks.timeoutMs + 30_000 });
  metrics.watchWebhooks(() => deliveries.figures());
  const webhookWorker = new WebhookWorker({ db, deliveries, subscriptions, publisher, log, pollMs: config.outbox.pollMs, timeoutMs: webhooks.timeoutMs, fetch: outbound.fetch });
  const purposes = new ConsentPurposes(db, audit);
  const clientStore = new ClientStore(db, new ReadCache('client', changes, CLIENT_CACHE_MS));
  const serviceProviderStore = new ServiceProviderStore(db);
  // A SAML service provider's built-in client has the SP's brand.
  const brandOf = async (clientId: string) => (await clientStore.findCached(clientId))?.metadata.brand ?? (await serviceProviderStore.find(clientId))?.brand ?? null;
  const ledger = new ConsentLedger({ db, purposes, audit, events: publisher, ipKey: config.secrets.hashing('ip-pseudonym'), brandOf });
  return {
    audit,
    publisher,
    credentialStore,
    customerStore,
    customers,
    customerSearch: new CustomerSearch(customerStore),
    subscriptions,
    deliveries,
    webhookWorker,
    purposes,
    ledger,
    consentFigures: new ConsentFigures(db, purposes),
    profile: buildProfile({ db, audit, events: publisher, changes }),
    guests: new Guests({ db, customerStore, ledger, audit, events: publisher, pool: DEFAULT_POOL }),
    brands: new Brands(db, audit, changes, config.responsibility),
    clientStore,
    serviceProviderStore,
  };
}
