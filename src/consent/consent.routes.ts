import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import type { Customers } from '../customers/customers.ts';
import { consentRecordOutput, consentStateOutput, decisionInput, purposeCreate, purposeKey, purposeOutput, purposeVersionCreate } from './consent.schemas.ts';
import type { ConsentLedger } from './consent-ledger.ts';
import type { ConsentPurposes, PurposeVersion } from './consent-purposes.ts';

const keyParams = z.strictObject({ key: purposeKey });
const customerParams = z.strictObject({ id: z.uuid() });
const audienceQuery = z.strictObject({
  state: z.enum(['granted', 'declined', 'withdrawn']).default('granted'),
  after: z.uuid().optional().describe('Cursor: the last customer id of the previous page'),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

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
    summary: 'Audience: customers whose latest decision on the purpose is `state` (granted: a grant that still counts), ordered by id, with a cursor (for marketing-list sync). A page may hold fewer than `limit`; go on while `next` is set',
    params: keyParams,
    query: audienceQuery,
    status: 200,
    response: z.object({ customers: z.array(z.string()), next: z.string().nullable() }),
    handler: async ({ params, query }) => {
      const purpose = await deps.purposes.current(params.key);
      return deps.ledger.audience(purpose, query.state, query.after, query.limit);
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
          purpose: record.purpose_key,
          version: record.version,
          decision: record.decision,
          text_hash: record.text_hash,
          locale: record.locale,
          channel: record.channel,
          client_id: record.client_id,
          brand: record.brand,
          actor_type: record.actor_type,
          actor_id: record.actor_id,
          recorded_at: Math.floor(Number(record.recorded_at) / 1000),
        })),
      };
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/customers/:id/consents',
    tag: 'consent',
    roles: ['admin', 'agent'],
    summary: 'Record a decision a customer gave customer service (by phone, in a store); the agent is recorded as the actor',
    params: customerParams,
    body: decisionInput,
    status: 201,
    response: z.object({ recorded: z.literal(true) }),
    handler: async ({ params, body }) => {
      await deps.ledger.record([{ purpose: body.purpose, version: body.version, decision: body.decision }], {
        customerId: params.id,
        locale: body.locale,
        channel: body.channel,
        clientId: null,
        actor: { type: 'agent', id: body.agent_id },
      });
      return { recorded: true as const };
    },
  });
}
