import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { signWebhook } from '../events/webhook-signature.ts';

/**
 * The HTTP contract a system on the data map implements so Portvakt can reach it:
 * `POST {endpoint}/erasure` and `POST {endpoint}/export`, a JSON body signed like a Standard
 * Webhook with the system's secret (`webhook-id` = the task, `webhook-timestamp`,
 * `webhook-signature`), answered with a receipt. A system must treat `request_id` as an
 * idempotency key: the same request may arrive again (Portvakt retries until it has a receipt),
 * and must then get the same receipt. A `callback` system may answer 202 and post its receipt to
 * `callback_url` later, signed the same way, with `webhook-id` set to the id it was sent.
 */
export const contractRequest = z.object({
  request_id: z.string().describe('The privacy request; the idempotency key'),
  type: z.enum(['erasure', 'export']),
  customer_reference: z.string().nullable().describe("The customer's id in this system, when the system is identified_by reference and the customer has one (else null)"),
  identifiers: z
    .object({ reference: z.string().optional(), email: z.string().optional(), phone: z.string().optional().describe('E.164') })
    .describe("Who the customer is, by the identifiers the system declared on the data map (identified_by) that the customer has: never empty (a customer with none is not_identified, and the system is not called)"),
  categories: z.array(z.string()).describe('The data categories the data map says this system holds'),
  mode: z.enum(['delete', 'restrict', 'export']).describe('delete: erase; restrict: keep under a legal hold, pseudonymize, stop processing; export: return the data'),
  retention: z
    .object({ rule: z.string(), description: z.string(), until: z.string().describe('ISO date: the day the hold ends, when Portvakt asks for the final erasure') })
    .nullable(),
  callback_url: z.string().nullable().describe('callback systems: where to post the receipt when done'),
});
export type ContractRequest = z.infer<typeof contractRequest>;

const retained = z.strictObject({
  category: z.string().max(100),
  reason: z.string().max(500),
  until: z.iso.date().optional().describe('The day the hold ends; the final erasure is asked for then'),
});

export const receipt = z.object({
  request_id: z.string().max(200),
  status: z.enum(['completed', 'accepted']).describe('accepted: a callback system will post the receipt later'),
  deleted: z.array(z.string().max(100)).max(100).default([]),
  retained: z.array(retained).max(100).default([]),
  pseudonymized: z.array(z.string().max(100)).max(100).default([]).describe('Kept without anything that identifies the person (e.g. statistics, consent proof)'),
  export: z.unknown().optional().describe('export requests: the data, as JSON'),
  note: z.string().max(2000).optional(),
});
export type Receipt = z.infer<typeof receipt>;

/** A receipt from a system's answer text; malformed JSON is just not a receipt. */
export function readReceipt(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return receipt.safeParse(json);
}

/** Headers for a signed request to a system. */
export function signedHeaders(secret: string, messageId: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, messageId, timestamp, body),
  };
}

/** How far a callback's timestamp may be from now: older is a replay, newer is forged. */
export const CALLBACK_TOLERANCE_SECONDS = 300;

/** Checks a system's signed callback; answers why it is refused, or undefined when it is genuine. */
export function callbackRefusal(secret: string, headers: Record<string, string | string[] | undefined>, body: string, now = Date.now()): string | undefined {
  const id = single(headers['webhook-id']);
  const timestamp = Number(single(headers['webhook-timestamp']));
  const signatures = single(headers['webhook-signature']);
  if (!id || !Number.isInteger(timestamp) || !signatures) return 'missing_signature';
  if (Math.abs(now / 1000 - timestamp) > CALLBACK_TOLERANCE_SECONDS) return 'stale_timestamp';
  const expected = Buffer.from(signWebhook(secret, id, timestamp, body));
  const matches = signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? undefined : 'bad_signature';
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The rule a callback's signature follows, as the published contract states it. */
export const CALLBACK_SIGNATURE_RULE =
  "Sign the callback as a Standard Webhook with the system's secret: webhook-id must equal the id of the task, which is the webhook-id of the request being answered and the last segment of callback_url (a receipt signed for one task cannot be replayed onto another); webhook-timestamp is the time of sending in seconds and must be within five minutes of Portvakt's clock; webhook-signature is v1,base64(HMAC-SHA256(key, `${webhook-id}.${webhook-timestamp}.${body}`)) over the exact bytes sent, the key being the secret's part after whsec_, base64-decoded.";

/** The contract as an OpenAPI document, for the teams who build the systems' side. */
export function systemContractOpenApi(): Record<string, unknown> {
  const signed = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } }));
  const receiptSchema = z.toJSONSchema(receipt, { io: 'input', unrepresentable: 'any' });
  const callback = {
    '{$request.body#/callback_url}': {
      post: {
        summary: 'A callback system posts its completed receipt here when done',
        description: `${CALLBACK_SIGNATURE_RULE} The body is the receipt with status completed and the request_id it was sent. Refused, changing nothing: 401 missing_signature, bad_signature, stale_timestamp or wrong_message_id; 400 invalid_receipt or wrong_request; 404 unknown_task; 409 not_waiting (the task was completed already: a replay). Without a callback within the wait, the same request is sent again.`,
        parameters: signed,
        requestBody: { required: true, content: { 'application/json': { schema: receiptSchema } } },
        responses: { 204: { description: 'Taken' }, 400: { description: 'Not a completed receipt for this request' }, 401: { description: 'Not signed as the rule says' }, 404: { description: 'No such task of a callback system' }, 409: { description: 'The task is not waiting for a callback' } },
      },
    },
  };
  const operation = (summary: string) => ({
    summary,
    parameters: signed,
    requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(contractRequest, { io: 'output' }) } } },
    responses: {
      200: { description: 'Done: the receipt', content: { 'application/json': { schema: receiptSchema } } },
      202: { description: 'Accepted (callback systems): the receipt follows at callback_url', content: { 'application/json': { schema: receiptSchema } } },
    },
    callbacks: { receipt: callback },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Portvakt system contract',
      version: '1',
      description:
        'What a system holding customer data implements so that Portvakt can carry out privacy requests there. Bodies are signed as Standard Webhooks with the secret Portvakt showed when the system was added, webhook-id being the task id; verify before acting. request_id is an idempotency key: answer a repeated request with the same receipt. The customer is named by the identifiers the system declared on the data map (identified_by: reference, email, phone) that the customer has; a system for which the customer has none is not called, and the request reports it not_identified. Callback systems answer 202 and post the receipt to callback_url: ' +
        CALLBACK_SIGNATURE_RULE,
    },
    'x-callback-signature': CALLBACK_SIGNATURE_RULE,
    paths: { '/erasure': { post: operation('Erase (mode delete) or restrict (mode restrict) the customer') }, '/export': { post: operation("Return the customer's data") } },
  };
}
