import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { DataSystems } from './data-systems.ts';
import type { PrivacyRequests } from './privacy-requests.ts';
import type { PrivacyTasks } from './privacy-tasks.ts';
import { exportSchema } from './export-format.ts';
import { callbackPath } from './privacy-worker.ts';
import { callbackRefusal, readReceipt, systemContractOpenApi } from './system-contract.ts';

const CALLBACK_BODY_LIMIT = 1024 * 1024;
const taskParams = z.strictObject({ task: z.string().regex(/^ptk_[0-9a-f-]{36}$/) });

/**
 * `POST /privacy/callbacks/{task}`: a callback system posts its receipt here when it is done,
 * signed with its secret like a Standard Webhook. Refused with a 4xx, changing nothing: an
 * unknown task, a missing or wrong signature, a timestamp more than five minutes off (a replay of
 * an old message), a task not waiting for a callback (a replay after it completed), a receipt for
 * another request. The contract itself is published at `/privacy/system-contract.json`, and the
 * format of the export a customer downloads (JSON Schema) at `/privacy/export-schema.json`.
 */
export function privacyCallbackRoutes(app: FastifyInstance, deps: { requests: PrivacyRequests; tasks: PrivacyTasks; systems: DataSystems }): void {
  app.get('/privacy/system-contract.json', async () => systemContractOpenApi());
  app.get('/privacy/export-schema.json', async () => exportSchema());

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: CALLBACK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.post(callbackPath(':task'), async (request, reply) => {
      const parsedParams = taskParams.safeParse(request.params);
      const task = parsedParams.success ? await deps.tasks.get(parsedParams.data.task) : undefined;
      if (!task || task.access !== 'callback') throw new DomainError('unknown_task', 404, 'No privacy task of a callback system has this id');
      const body = typeof request.body === 'string' ? request.body : '';
      // The message id must name the task: a receipt signed for one task cannot be replayed onto another.
      const refusal = request.headers['webhook-id'] === task.id ? callbackRefusal(await deps.systems.secretOf(task.system), request.headers, body) : 'wrong_message_id';
      if (refusal) throw new DomainError(refusal, 401, 'The callback is not signed by the system, or its timestamp is too far from now');
      const parsed = readReceipt(body);
      if (!parsed.success || parsed.data.status !== 'completed') throw new DomainError('invalid_receipt', 400, 'The body is not a completed receipt');
      if (parsed.data.request_id !== task.request_id) throw new DomainError('wrong_request', 400, 'The receipt is for another request');
      // Pending: the callback is late and the request is about to go out again; the receipt still counts.
      // Scheduled: a final erasure sent at the end of a legal hold whose 202 was not recorded yet.
      if (task.state !== 'waiting_callback' && task.state !== 'pending' && task.state !== 'scheduled') throw new DomainError('not_waiting', 409, `The task is ${task.state}, not waiting for a callback`);
      if (!(await deps.requests.recordReceipt(task, parsed.data, { type: 'client', id: `system:${task.system}` }))) {
        throw new DomainError('not_waiting', 409, 'The task was completed meanwhile');
      }
      return reply.code(204).send();
    });
  });
}
