import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import type { Customers } from '../customers/customers.ts';
import { DomainError, refusalAt } from '../errors/domain-error.ts';
import { admits, type Operator } from '../operators/operator-roles.ts';
import type { ConsentRecordsTable } from '../store/schema.ts';
import { consentRecordOutput, consentStateOutput, DECISION_BATCH_BYTES, decisionBatch, decisionInput, decisionRecorded, purposeCreate, purposeKey, purposeOutput, purposeVersionCreate, type DecisionInput } from './consent.schemas.ts';
import { decisionFields, type BatchDecision, type ConsentLedger } from './consent-ledger.ts';
import type { ConsentPurposes, PurposeVersion } from './consent-purposes.ts';

const keyParams = z.strictObject({ key: purposeKey });
const customerParams = z.strictObject({ id: z.uuid() });
const audienceQuery = z.strictObject({
  state: z.enum(['granted', 'declined', 'withdrawn']).default('granted'),
  after: z.uuid().optional().describe('Cursor: the last customer id of the previous page'),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
  with_source: z.enum(['true', 'false']).optional().describe("true: also `sources`, the page's customers whose deciding record came from a consent-management platform"),
});
const audienceSource = z.object({ customer_id: z.string(), platform: z.string(), record_id: z.string(), captured_at: z.number().int().describe('unix seconds') });

/**
 * A decision as the caller may record it. An admin or agent records what a customer told customer
 * service (`agent_id` required), perhaps relaying a platform's record (`source`). An integration
 * key is a consent-management platform: `source` required, `agent_id` refused, and only for the
 * purposes its consent capability names (403 otherwise).
 */
function decisionOf(operator: Operator, customerId: string, body: DecisionInput): BatchDecision {
  const relayed = admits(operator, ['agent']);
  if (!relayed) {
    if (!operator.consentPurposes?.includes(body.purpose)) throw new DomainError('forbidden', 403, `This key may not record consent decisions for ${body.purpose}: it needs the consent capability for that purpose (consent_purposes)`);
    if (body.agent_id !== undefined) throw new DomainError('validation_failed', 400, 'agent_id is for decisions taken by customer service; a platform names its source');
    if (!body.source) throw new DomainError('validation_failed', 400, 'A decision recorded by a platform names its source');
  } else if (body.agent_id === undefined) {
    throw new DomainError('validation_failed', 400, 'agent_id: the customer-service agent who took the decision is required');
  }
  const source = body.source && { platform: body.source.platform, recordId: body.source.record_id, capturedAt: body.source.captured_at, proof: body.source.proof ?? null };
  return {
    decision: { purpose: body.purpose, version: body.version, decision: body.decision, ...(source ? { source } : {}) },
    context: { customerId, locale: body.locale, channel: body.channel, clientId: null, actor: relayed ? { type: 'agent', id: body.agent_id! } : { type: 'customer', id: customerId } },
  };
}

const presentSource = (record: ConsentRecordsTable) =>
  record.source_platform === null ? null : { platform: record.source_platform, record_id: record.source_record_id!, captured_at: Math.floor(Number(record.captured_at) / 1000), proof: record.source_proof };

const presentPurpose = (purpose: PurposeVersion) => ({
  key: purpose.key,
  required: purpose.required,
  brand: purpose.brand,
  version: purpose.version,
  text_hash: purpose.textHash,
  requires_fresh_consent: purpose.requiresFreshConsent,
  texts: purpose.texts,
  created_at: Math.floor(purpose.createdAt / 1000),
});

/** `/api/v1/consent-purposes` and a customer's consents (state, history, decisions taken by customer service). */
export function consentRoutes(app: FastifyInstance, api: ApiRegistry, deps: { purposes: ConsentPurposes; ledger: ConsentLedger; customers: Customers }): void {
  api.add(app, {
    method: 'POST',
    url: '/consent-purposes',
    tag: 'consent',
    roles: ['admin'],
    summary: 'Define a consent purpose (version 1) with its texts in Swedish and English',
    body: purposeCreate,
    status: 201,
    response: purposeOutput,
    handler: async ({ body }) => presentPurpose(await deps.purposes.create(body)),
  });
  api.add(app, {
    method: 'GET',
    url: '/consent-purposes',
    tag: 'consent',
    roles: ['admin', 'agent', 'privacy_officer'],
    summary: 'Every purpose at its current version',
    status: 200,
    response: z.object({ purposes: z.array(purposeOutput) }),
    handler: async () => ({ purposes: (await deps.purposes.list()).map(presentPurpose) }),
  });
  api.add(app, {
    method: 'POST',
    url: '/consent-purposes/:key/versions',
    tag: 'consent',
    roles: ['admin'],
    summary: 'A new version of a purpose: new texts, or (requires_fresh_consent: true, texts omitted or the same) the same texts asked again — earlier grants stop counting and customers are asked at their next sign-in. 409 texts_unchanged when nothing would change',
    params: keyParams,
    body: purposeVersionCreate,
    status: 201,
    response: purposeOutput,
    handler: async ({ params, body }) => presentPurpose(await deps.purposes.addVersion(params.key, body.texts, body.requires_fresh_consent)),
  });
  api.add(app, {
    method: 'GET',
    url: '/consent-purposes/:key/customers',
    tag: 'consent',
    roles: ['admin'],
    summary:
      'Audience: customers whose latest decision on the purpose is `state` (granted: a grant that still counts), ordered by id, with a cursor (for marketing-list sync). A page may hold fewer than `limit`; go on while `next` is set. with_source=true adds `sources`: the platform records that decided',
    params: keyParams,
    query: audienceQuery,
    status: 200,
    response: z.object({ customers: z.array(z.string()), next: z.string().nullable(), sources: z.array(audienceSource).optional() }),
    handler: async ({ params, query }) => {
      const purpose = await deps.purposes.current(params.key);
      const page = await deps.ledger.audience(purpose, query.state, query.after, query.limit);
      if (query.with_source !== 'true') return { customers: page.customers, next: page.next };
      const sources = page.sources.map((source) => ({ customer_id: source.customerId, platform: source.platform, record_id: source.recordId, captured_at: Math.floor(source.capturedAt / 1000) }));
      return { customers: page.customers, next: page.next, sources };
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/customers/:id/consents',
    tag: 'consent',
    roles: ['admin', 'agent', 'privacy_officer'],
    summary: "A customer's consent per purpose (derived from the ledger) and the full history",
    params: customerParams,
    status: 200,
    response: z.object({ consents: z.array(consentStateOutput), history: z.array(consentRecordOutput) }),
    handler: async ({ params }) => {
      await deps.customers.get(params.id);
      const [state, history] = await Promise.all([deps.ledger.state(params.id), deps.ledger.history(params.id)]);
      return {
        consents: state.map((entry) => ({ purpose: entry.purpose, state: entry.state, version: entry.version, current_version: entry.currentVersion, decided_at: entry.decidedAt === null ? null : Math.floor(entry.decidedAt / 1000), effective: entry.effective })),
        history: history.map((record) => ({
          id: record.id,
          ...decisionFields(record),
          actor_type: record.actor_type,
          actor_id: record.actor_id,
          recorded_at: Math.floor(Number(record.recorded_at) / 1000),
          source: presentSource(record),
        })),
      };
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/customers/:id/consents',
    tag: 'consent',
    roles: ['admin', 'agent', 'integration'],
    summary:
      'Record a decision a customer gave customer service (by phone, in a store; the agent is recorded as the actor), or one a consent-management platform recorded (an integration key with the consent capability for the purpose; `source` required). counted false: an older platform decision that arrived late, kept as history',
    params: customerParams,
    body: decisionInput,
    status: 201,
    response: decisionRecorded,
    handler: async ({ params, body, operator }) => {
      const { decision, context } = decisionOf(operator, params.id, body);
      const [result] = await deps.ledger.record([decision], context);
      return { recorded: true as const, counted: result!.counted, duplicate: result!.duplicate };
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/consents/batch',
    tag: 'consent',
    roles: ['admin', 'agent', 'integration'],
    summary:
      "Record up to 1,000 decisions of many customers in one transaction (a consent-management platform's batch), each as `POST /customers/{id}/consents` takes it: a refused one answers its 4xx with `details.index` and none is written. At most 4 MiB of JSON (413 above: send fewer when proofs are long)",
    body: decisionBatch,
    bodyLimit: DECISION_BATCH_BYTES,
    status: 201,
    response: z.object({
      recorded: z.number().int().describe('Decisions stored now (duplicates not included)'),
      counted: z.number().int().describe('Of those, the ones that took effect'),
      duplicates: z.number().int(),
      results: z.array(decisionRecorded.omit({ recorded: true })).describe('Per decision, in order'),
    }),
    handler: async ({ body, operator }) => {
      const items = body.decisions.map(({ customer_id: customerId, ...decision }, index) => {
        try {
          return decisionOf(operator, customerId, decision);
        } catch (error) {
          throw refusalAt(index, error);
        }
      });
      const results = await deps.ledger.recordBatch(items);
      const fresh = results.filter((result) => !result.duplicate);
      return { recorded: fresh.length, counted: fresh.filter((result) => result.counted).length, duplicates: results.length - fresh.length, results };
    },
  });
}
