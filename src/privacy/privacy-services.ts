import type { OutboundFetch } from '../outbound/outbound-guard.ts';
import type { OutboundUrlCheck } from '../outbound/outbound-url-check.ts';
import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.ts';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import { CustomerCounts } from '../customers/customer-counts.ts';
import { declaredCategories } from '../customers/customer-data.ts';
import { CustomerReferences } from '../customers/customer-references.ts';
import type { Customers } from '../customers/customers.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import type { Messenger } from '../messaging/messenger.ts';
import type { WorkerLog } from '../messaging/outbox-worker.ts';
import type { MessageBrand } from '../messaging/templates/render-message.ts';
import type { Database } from '../store/schema.ts';
import type { Dialect } from '../store/database.ts';
import { DataMap } from './data-map.ts';
import { DataSystems } from './data-systems.ts';
import { BuiltinSystem } from './builtin-system.ts';
import { PrivacyExports } from './privacy-exports.ts';
import { PrivacyQueue } from './privacy-queue.ts';
import { PrivacyRequests } from './privacy-requests.ts';
import { PrivacyTasks } from './privacy-tasks.ts';
import { PrivacyWorker } from './privacy-worker.ts';
import { Suppressions } from './suppressions.ts';

export type Privacy = ReturnType<typeof buildPrivacy>;

/**
 * The data map and GDPR requests, assembled: systems, customer references and the counts of
 * customers each system holds, requests and their
 * tasks, the worker that carries them out (started by the app), Portvakt's own part, and the
 * suppression list that guards every customer creation.
 */
export function buildPrivacy(deps: { config: Config; db: Kysely<Database>; dialect: Dialect; audit: AuditLog; events: EventPublisher; customers: Customers; ledger: ConsentLedger; messenger: Messenger; brand: MessageBrand; log: WorkerLog; fetch: OutboundFetch; checkUrl: OutboundUrlCheck }) {
  const { config, db, audit } = deps;
  const builtinCategories = () => declaredCategories(deps.customers.dataDeclarations());
  const systems = new DataSystems({ db, dialect: deps.dialect, key: config.secrets.sealing('data-system-secret'), audit, checkUrl: deps.checkUrl, builtinCategories });
  const references = new CustomerReferences(db, audit, (trx, system) => systems.holdMapped(trx, system));
  const counts = new CustomerCounts(db);
  const dataMap = new DataMap({ systems, references, counts, customers: deps.customers });
  const tasks = new PrivacyTasks(db, deps.dialect, { baseDelayMs: config.privacy.retryBaseMs, maxDelayMs: config.privacy.retryMaxMs, maxAttempts: config.privacy.maxAttempts, leaseMs: config.privacy.timeoutMs + 5_000, callbackWaitMs: config.privacy.callbackWaitMs });
  const exports = new PrivacyExports({ db, tasks, key: config.secrets.sealing('privacy-export'), messenger: deps.messenger, brand: deps.brand, issuer: config.issuer });
  const requests = new PrivacyRequests({ db, dialect: deps.dialect, systems, tasks, audit, exports, events: deps.events });
  const suppressions = new Suppressions(config.secrets.hashing('email-suppression'), audit);
  deps.customers.guardCreation((trx, pool, email, actor) => suppressions.guardCreation(trx, pool, email, actor));
  const portvakt = new BuiltinSystem({ customers: deps.customers, ledger: deps.ledger, suppressions });
  const worker = new PrivacyWorker({ requests, tasks, systems, portvakt, issuer: config.issuer, log: deps.log, pollMs: config.outbox.pollMs, timeoutMs: config.privacy.timeoutMs, fetch: deps.fetch });
  return { systems, references, counts, dataMap, requests, queue: new PrivacyQueue(db), exports, tasks, suppressions, worker };
}
