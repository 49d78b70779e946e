import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Messenger } from '../messaging/messenger.ts';
import type { MessageBrand } from '../messaging/templates/render-message.ts';
import type { CustomerDataOwner, ForgottenCustomer, TableDeclaration } from '../customers/customer-data.ts';
import type { Database, PrivacyTasksTable } from '../store/schema.ts';
import type { PrivacyRequest } from './privacy-request.ts';
import type { PrivacyTasks } from './privacy-tasks.ts';

/** How long the download link of an export works. */
export const EXPORT_LINK_TTL_MS = 7 * 24 * 3600_000;

const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * The export of a privacy request (GDPR Art. 15 and 20): what Portvakt holds and what every
 * system answered, as one JSON archive. Each system's answer is sealed as soon as it arrives;
 * at completion they become one sealed archive, and the customer is mailed a link that works once,
 * for seven days, and only in their own signed-in browser.
 */
export class PrivacyExports implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'privacy_exports',
      columns: { request_id: 'plain', customer_id: 'privacy_requests', token_hash: 'plain', archive: 'privacy_requests', created_at: 'plain', expires_at: 'plain', downloaded_at: 'plain' },
      erasure: { rule: 'keep', reason: 'the record that an export was made and when it was fetched (Art. 5(2)); the archive itself is blanked' },
      export: { rule: 'omitted', reason: 'it holds earlier exports themselves' },
    },
  ];
  /** The row stays as the record that an export was made; only the archive goes. */
  readonly erasureOnly = true;
  readonly #db: Kysely<Database>;
  readonly #tasks: PrivacyTasks;
  readonly #key: SealingKeys;
  readonly #messenger: Messenger;
  readonly #brand: MessageBrand;
  readonly #issuer: string;

  constructor(deps: { db: Kysely<Database>; tasks: PrivacyTasks; key: SealingKeys; messenger: Messenger; brand: MessageBrand; issuer: string }) {
    this.#db = deps.db;
    this.#tasks = deps.tasks;
    this.#key = deps.key;
    this.#messenger = deps.messenger;
    this.#brand = deps.brand;
    this.#issuer = deps.issuer;
  }

  /** One system's exported data, sealed to its task. */
  sealTaskData(taskId: string, data: unknown): string {
    return seal(this.#key, JSON.stringify(data), `privacy-task:${taskId}`);
  }

  /**
   * Assembles the archive in the transaction that completes the request, clears the per-system
   * data, and queues the mail with the link (same transaction: no archive without its mail).
   */
  async assemble(trx: Transaction<Database>, request: PrivacyRequest, tasks: PrivacyTasksTable[], systemNames: Map<string, string>, now: number): Promise<void> {
    const customer = await trx
      .selectFrom('customers as c')
      .innerJoin('customer_emails as e', 'e.customer_id', 'c.id')
      .select(['e.email', 'c.locale'])
      .where('c.id', '=', request.customer_id)
      .executeTakeFirst();
    await this.#tasks.clearExportData(trx, request.id);
    // Erased meanwhile: nobody to give it to, so no copy is made.
    if (!customer) return;
    const systems: Record<string, unknown> = {};
    const missing: Array<{ system: string; reason: string }> = [];
    for (const task of tasks) {
      if (task.export_data) systems[task.system] = JSON.parse(open(this.#key, task.export_data, `privacy-task:${task.id}`));
      else missing.push({ system: task.system, reason: task.state === 'done' ? 'the system reported no data to export' : task.state === 'not_identified' ? 'the system was not asked: the customer has none of the identifiers it keys customers by' : `the task ended ${task.state}` });
    }
    const archive = {
      format: 'portvakt-export/1',
      request_id: request.id,
      customer_id: request.customer_id,
      generated_at: new Date(now).toISOString(),
      systems: Object.fromEntries(Object.entries(systems).map(([key, data]) => [key, { name: systemNames.get(key) ?? key, data }])),
      not_included: missing,
    };
    const token = randomBytes(32).toString('base64url');
    await trx
      .insertInto('privacy_exports')
      .values({ request_id: request.id, customer_id: request.customer_id, token_hash: tokenHash(token), archive: seal(this.#key, JSON.stringify(archive), `privacy-export:${request.id}`), created_at: now, expires_at: now + EXPORT_LINK_TTL_MS, downloaded_at: null })
      .execute();
    await this.#messenger.sendNotice(
      trx,
      { kind: 'export_ready', locale: customer.locale?.startsWith('sv') ? 'sv' : 'en', brand: this.#brand, to: customer.email, detail: `${this.#issuer}/account/privacy/export/${token}`, accountUrl: `${this.#issuer}/account/privacy` },
      now,
    );
  }

  /** The archive, once: the token must match an unused, unexpired export of this very customer. */
  async download(token: string, customerId: string, now = Date.now()): Promise<unknown> {
    const found = await this.#db.selectFrom('privacy_exports').selectAll().where('token_hash', '=', tokenHash(token)).executeTakeFirst();
    if (!found || found.customer_id !== customerId) throw new DomainError('not_found', 404, 'There is no such export');
    const taken = await this.#db
      .updateTable('privacy_exports')
      .set({ archive: null, downloaded_at: now })
      .where('request_id', '=', found.request_id)
      .where('downloaded_at', 'is', null)
      .where('expires_at', '>', now)
      .where('archive', 'is not', null)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1 || !found.archive) throw new DomainError('export_gone', 410, 'This link was used already or has expired; ask for a new export');
    return JSON.parse(open(this.#key, found.archive, `privacy-export:${found.request_id}`));
  }

  /** Expired archives are cleared (the row stays as a record that an export was made). */
  async clearExpired(now = Date.now()): Promise<void> {
    await this.#db.updateTable('privacy_exports').set({ archive: null }).where('expires_at', '<=', now).where('archive', 'is not', null).execute();
  }

  /** Copies made for earlier exports: archives not yet fetched. */
  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.updateTable('privacy_exports').set({ archive: null }).where('customer_id', '=', customer.id).execute();
  }

  async forRequest(requestId: string): Promise<{ expiresAt: number; downloadedAt: number | null } | undefined> {
    const row = await this.#db.selectFrom('privacy_exports').select(['expires_at', 'downloaded_at']).where('request_id', '=', requestId).executeTakeFirst();
    return row && { expiresAt: Number(row.expires_at), downloadedAt: row.downloaded_at === null ? null : Number(row.downloaded_at) };
  }
}

/** `secret rotate` (ops/secret-rotation.ts): an export's archive sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealExportArchive(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('privacy_exports').set({ archive: sealed }).where('request_id', '=', id).where('archive', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
