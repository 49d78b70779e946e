import type { OutboundFetch } from '../outbound/outbound-guard.ts';
import { SYSTEM } from '../events/audit-log.ts';
import { ClaimingWorker } from '../jobs/claiming-worker.ts';
import type { WorkerLog } from '../messaging/outbox-worker.ts';
import type { PrivacyTasksTable } from '../store/schema.ts';
import type { DataSystems } from './data-systems.ts';
import type { BuiltinSystem } from './builtin-system.ts';
import type { PrivacyRequest } from './privacy-request.ts';
import type { PrivacyRequests } from './privacy-requests.ts';
import type { PrivacyTasks } from './privacy-tasks.ts';
import { retentionEnds } from './retention.ts';
import { readReceipt, signedHeaders, type ContractRequest } from './system-contract.ts';

/** Where a callback system posts its receipt for a task. */
export const callbackPath = (taskId: string) => `/privacy/callbacks/${taskId}`;

/**
 * Carries out due privacy tasks: Portvakt's own part in-process, the others over the system
 * contract (signed POST, with a timeout). A receipt completes the task; a callback system's
 * "accepted" leaves it waiting for the callback; anything else is retried with backoff until
 * the task is dead. Each pass also settles requests whose last task finished while a node was
 * going down between the two steps.
 */
export class PrivacyWorker extends ClaimingWorker<PrivacyTasksTable> {
  readonly #deps: { requests: PrivacyRequests; tasks: PrivacyTasks; systems: DataSystems; portvakt: BuiltinSystem; issuer: string; log: WorkerLog; timeoutMs: number; fetch: OutboundFetch };

  constructor(deps: { requests: PrivacyRequests; tasks: PrivacyTasks; systems: DataSystems; portvakt: BuiltinSystem; issuer: string; log: WorkerLog; pollMs: number; timeoutMs: number; fetch: OutboundFetch }) {
    super({ pollMs: deps.pollMs, batchSize: 10, onError: (error) => deps.log.error({ err: error }, 'privacy pass failed') });
    this.#deps = deps;
    deps.requests.onWork(() => this.kick());
  }

  protected claim(limit: number): Promise<PrivacyTasksTable[]> {
    return this.#deps.tasks.claimDue(limit);
  }

  protected async handle(batch: PrivacyTasksTable[]): Promise<void> {
    await Promise.all(batch.map((task) => this.#run(task)));
  }

  /** Requests whose last task finished while a node went down between the two steps are settled. */
  protected override async afterQueue(): Promise<void> {
    await this.#deps.requests.announceOverdue(20).catch((error: unknown) => this.#deps.log.error({ err: error }, 'overdue privacy requests could not be announced'));
    for (const id of await this.#deps.requests.unsettled(20)) {
      // One request that cannot settle must not hold up the others.
      await this.#deps.requests.settle(id).catch((error: unknown) => this.#deps.log.error({ err: error, request_id: id }, 'privacy request could not settle'));
    }
  }

  async #run(task: PrivacyTasksTable): Promise<void> {
    try {
      if (task.state === 'waiting_callback') return await this.#failed(task, 'the system did not call back in time; the request is sent again');
      const request = await this.#deps.requests.get(task.request_id);
      if (task.access === 'builtin') {
        await this.#deps.requests.recordReceipt(task, await this.#deps.portvakt.run(task, request), SYSTEM);
        return;
      }
      const system = await this.#deps.systems.get(task.system).catch(() => undefined);
      if (!system) return await this.#failed(task, 'the system is no longer on the data map');
      if (system.access === 'manual') {
        // A manual system's final erasure whose day has come, or a system made manual since: an operator task now.
        await this.#deps.requests.awaitOperator(task);
        return;
      }
      await this.#call(task, request, system.endpoint!, await this.#deps.systems.secretOf(system.key), system.retention ? { rule: system.retention.rule, description: system.retention.description, until: new Date(retentionEnds(system.retention, Number(request.received_at))).toISOString().slice(0, 10) } : null);
    } catch (error) {
      await this.#failed(task, error instanceof Error ? error.message : String(error));
    }
  }

  async #call(task: PrivacyTasksTable, request: PrivacyRequest, endpoint: string, secret: string, retention: ContractRequest['retention']): Promise<void> {
    const body: ContractRequest = {
      request_id: request.id,
      type: request.kind,
      customer_reference: task.reference,
      identifiers: task.identifiers ? (JSON.parse(task.identifiers) as ContractRequest['identifiers']) : task.reference ? { reference: task.reference } : {},
      categories: JSON.parse(task.categories) as string[],
      mode: task.mode,
      retention: task.mode === 'restrict' ? retention : null,
      callback_url: task.access === 'callback' ? new URL(callbackPath(task.id), this.#deps.issuer).toString() : null,
    };
    const text = JSON.stringify(body);
    let response: Response;
    try {
      response = await this.#deps.fetch(`${endpoint.replace(/\/+$/, '')}/${request.kind}`, {
        method: 'POST',
        headers: signedHeaders(secret, task.id, text),
        body: text,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#deps.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return this.#failed(task, timedOut ? `the system did not answer within ${this.#deps.timeoutMs} ms` : 'the system could not be reached');
    }
    const answer = await response.text().catch(() => '');
    if (response.status < 200 || response.status >= 300) return this.#failed(task, `the system answered HTTP ${response.status}`);
    const parsed = readReceipt(answer);
    if (!parsed.success || parsed.data.request_id !== request.id) return this.#failed(task, 'the system answered without a receipt for this request');
    if (parsed.data.status === 'accepted') {
      if (task.access !== 'callback') return this.#failed(task, 'an api system must answer with its receipt, not accept for later');
      await this.#deps.tasks.awaitCallback(task);
      return;
    }
    await this.#deps.requests.recordReceipt(task, parsed.data, SYSTEM);
  }

  async #failed(task: PrivacyTasksTable, reason: string): Promise<void> {
    const outcome = await this.#deps.requests.taskFailed(task, reason);
    if (outcome === 'gone') return;
    const details = { task_id: task.id, request_id: task.request_id, system: task.system, attempt: task.attempts + 1, reason, outcome };
    if (outcome === 'dead') {
      this.#deps.log.error(details, 'privacy task is dead after its last attempt');
    } else this.#deps.log.warn(details, 'privacy task failed; will retry');
  }
}
