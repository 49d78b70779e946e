import type { Kysely } from 'kysely';
import type { ConsentLedger } from '../consent/consent-ledger.ts';
import { presentCustomer, type Customers } from '../customers/customers.ts';
import type { Database, PrivacyTasksTable } from '../store/schema.ts';
import type { PrivacyRequest } from './privacy-request.ts';
import type { Suppressions } from './suppressions.ts';
import type { Receipt } from './system-contract.ts';

/**
 * Portvakt's own part of a privacy request, run in-process by the worker like any other task.
 * Erasure: the customer, their addresses, credentials, upstream identities, external references, sessions,
 * tokens and grants go in one transaction, with any copy made for an export; every standing
 * consent is withdrawn (audiences drop the customer) and the records keep only the pseudonymous id
 * with the decisions, not the hashed network (proof of consent, Art. 7(1)); audit entries only
 * ever held ids; the address is kept as a keyed hash on the suppression list.
 */
export class BuiltinSystem {
  readonly #db: Kysely<Database>;
  readonly #customers: Customers;
  readonly #ledger: ConsentLedger;
  readonly #suppressions: Suppressions;

  constructor(deps: { db: Kysely<Database>; customers: Customers; ledger: ConsentLedger; suppressions: Suppressions }) {
    this.#db = deps.db;
    this.#customers = deps.customers;
    this.#ledger = deps.ledger;
    this.#suppressions = deps.suppressions;
  }

  run(task: PrivacyTasksTable, request: PrivacyRequest): Promise<Receipt> {
    return task.mode === 'export' ? this.#export(request) : this.#erase(task, request);
  }

  async #erase(task: PrivacyTasksTable, request: PrivacyRequest): Promise<Receipt> {
    // What goes is each owner's to forget (Customers.erase asks them all, those only erasure asks
    // included: copies made for earlier exports, the device list, codes on their way to the address).
    const erased = await this.#customers.erase(request.customer_id, request.id, async (trx, customer) => {
      await this.#suppressions.add(trx, customer.pool, customer.email, request.id);
      await this.#ledger.withdrawAllWithin(trx, customer.id, request.id);
    });
    return {
      request_id: request.id,
      status: 'completed',
      deleted: JSON.parse(task.categories) as string[],
      retained: [],
      pseudonymized: ['consent_records', 'audit_log', 'suppression_list'],
      note: erased
        ? 'Standing consents were withdrawn; consent records keep the pseudonymous id, purpose, version, decision and time as proof; the suppression list keeps a keyed hash of the e-mail address.'
        : 'Nothing was left to erase: an earlier attempt of this task had done it.',
    };
  }

  async #export(request: PrivacyRequest): Promise<Receipt> {
    const id = request.customer_id;
    const customer = await this.#customers.get(id);
    const [consents, history, references, credentials, sessions, identities] = await Promise.all([
      this.#ledger.state(id),
      this.#ledger.history(id),
      this.#db.selectFrom('customer_references').select(['system', 'reference', 'created_at']).where('customer_id', '=', id).execute(),
      this.#db.selectFrom('credentials').select(['type', 'label', 'created_at', 'last_used_at']).where('customer_id', '=', id).execute(),
      this.#db.selectFrom('session_devices').select(['user_agent', 'created_at', 'last_used_at']).where('account_id', '=', id).execute(),
      this.#db.selectFrom('identities').select(['connection', 'subject', 'created_at', 'last_used_at']).where('customer_id', '=', id).execute(),
    ]);
    const at = (value: number | null) => (value === null ? null : new Date(Number(value)).toISOString());
    return {
      request_id: request.id,
      status: 'completed',
      deleted: [],
      retained: [],
      pseudonymized: [],
      export: {
        profile: presentCustomer(customer),
        consents: consents.map((entry) => ({ purpose: entry.purpose, state: entry.state, version: entry.version, effective: entry.effective, decided_at: at(entry.decidedAt) })),
        consent_history: history.map((record) => ({ purpose: record.purpose_key, version: record.version, decision: record.decision, text_hash: record.text_hash, locale: record.locale, channel: record.channel, client_id: record.client_id, brand: record.brand, actor: record.actor_type, recorded_at: at(record.recorded_at) })),
        external_references: references.map((row) => ({ system: row.system, reference: row.reference, created_at: at(row.created_at) })),
        credentials: credentials.map((row) => ({ type: row.type, label: row.label, created_at: at(row.created_at), last_used_at: at(row.last_used_at) })),
        sessions: sessions.map((row) => ({ device: row.user_agent, created_at: at(row.created_at), last_used_at: at(row.last_used_at) })),
        identities: identities.map((row) => ({ connection: row.connection, subject: row.subject, linked_at: at(row.created_at), last_used_at: at(row.last_used_at) })),
      },
    };
  }
}
