import { z } from 'zod';

/**
 * The export document (GDPR Art. 15 and 20) the customer downloads: `portvakt-export/1`. Its JSON
 * Schema is published at `/privacy/export-schema.json`, beside the system contract. Portvakt's own
 * part (`systems.portvakt.data`) has one section per kind of data, each a list of rows answered by
 * the module that owns the table (the table's declaration names its section); every other system's
 * part is what it answered, as it answered it. Times are ISO 8601 in UTC. Section names are
 * stable: a new kind of data is a new section, never a renamed one.
 */
const time = z.iso.datetime().describe('ISO 8601, UTC');
const maybeTime = time.nullable();
const rows = <T extends z.ZodRawShape>(description: string, shape: T) => z.array(z.strictObject(shape)).describe(description);

const profile = z
  .strictObject({
    id: z.string().describe("The customer's id (the subject of every token)"),
    email: z.string(),
    email_verified: z.boolean(),
    phone_number: z.string().nullable().describe('E.164'),
    phone_number_verified: z.boolean(),
    given_name: z.string().nullable(),
    family_name: z.string().nullable(),
    locale: z.string().nullable(),
    status: z.string().describe('active or disabled'),
    has_password: z.boolean().describe('Whether a password is set (never the password or its hash)'),
    created_at: time,
    updated_at: time,
    address: z.record(z.string(), z.string()).nullable().describe('OpenID Connect address: street_address, postal_code, locality, country'),
    birthdate: z.string().nullable().describe('YYYY-MM-DD'),
    attributes: z.record(z.string(), z.unknown()).describe('The custom attributes of the profile schema, by key'),
  })
  .describe('The profile: names, language, verified e-mail address and phone, address, birthdate and custom attributes');

/** Portvakt's part, section by section, in this order. */
export const portvaktPart = z
  .strictObject({
    profile,
    attributes: rows('Every attribute value as stored (address and birthdate among them), with when it changed', { key: z.string(), value: z.unknown(), updated_at: time }),
    consents: rows('The state of every consent purpose: the latest decision, and whether it still counts for the current version', {
      purpose: z.string(),
      state: z.string().describe('granted, declined, withdrawn or not_asked'),
      version: z.number().nullable(),
      effective: z.boolean(),
      decided_at: maybeTime,
    }),
    consent_history: rows('Every consent decision as recorded, newest first (the proof: a hash of the exact text shown)', {
      purpose: z.string(),
      version: z.number(),
      decision: z.string().describe('granted, declined or withdrawn'),
      text_hash: z.string(),
      locale: z.string(),
      channel: z.string().describe('web, app, store or phone'),
      client_id: z.string().nullable(),
      brand: z.string().nullable(),
      actor: z.string().describe('customer, or agent (customer service took it down)'),
      recorded_at: time,
      source: z
        .object({ platform: z.string(), record_id: z.string().nullable(), captured_at: maybeTime, proof: z.string().nullable().describe('A TCF consent string or a document hash') })
        .nullable()
        .describe('The consent-management platform that recorded the decision, its id of the record and when it captured it; null: taken here'),
      counted: z.boolean().describe('false: an older decision from a platform that arrived after a newer one; kept as history, it changed nothing'),
    }),
    credentials: rows('Ways to sign in and second factors, by type, label and dates (never a secret)', { type: z.string(), label: z.string().nullable(), created_at: time, last_used_at: maybeTime }),
    sessions: rows('Signed-in devices: the browser (user agent) and dates', { device: z.string().nullable(), created_at: time, last_used_at: time }),
    identities: rows('Accounts at identity providers linked to this one: the connection and the subject there', { connection: z.string(), subject: z.string(), linked_at: time, last_used_at: time }),
    external_references: rows("The customer's id in each other system of the data map", { system: z.string(), reference: z.string(), created_at: time }),
    orders: rows('Order references kept with the account (from guest checkouts the customer claimed)', { reference: z.string(), guest_checkout: z.string().nullable(), created_at: time }),
    guest_checkouts: rows('Guest checkouts the customer claimed: what the shop recorded at checkout', {
      id: z.string(),
      email: z.string(),
      given_name: z.string().nullable(),
      family_name: z.string().nullable(),
      order_references: z.array(z.string()),
      consents: z.array(z.unknown()).describe('The consent choices made at checkout (purpose, version, decision)'),
      locale: z.string(),
      client_id: z.string().nullable(),
      created_at: time,
      claimed_at: maybeTime,
    }),
    caller_verifications: rows("Customer service's checks of a caller's identity: channel, outcome and times (never the code)", {
      id: z.string(),
      channel: z.string().describe('email, sms or portal'),
      status: z.string().describe('pending, verified, failed, denied or expired'),
      created_at: time,
      expires_at: time,
      decided_at: maybeTime,
    }),
    activity: rows('What connected systems reported the customer did (purchases, returns, views …), kept only under the profiling consent and for the retention period, newest first', {
      system: z.string().describe('The data-map system that reported it'),
      event_id: z.string().describe("The event's id in that system"),
      type: z.string().describe('purchase, return, view, cart or a declared type'),
      occurred_at: time,
      channel: z.string().nullable(),
      brand: z.string().nullable(),
      items: z.array(z.unknown()).describe('sku, category, quantity, and amount and currency where given'),
      recorded_at: time,
    }),
    segments: rows('The segments the customer is in, and the signal that qualified', {
      segment: z.string(),
      entered_at: time,
      reason: z.strictObject({ type: z.string(), category: z.string().nullable(), occurred_at: time }).nullable(),
    }),
    store_visits: rows('Each time a till identified the customer in a store (by member code, or by phone and code), kept for the hour a receipt may follow', {
      store: z.string().describe("The store's key"),
      method: z.string().describe('member_code, sms or portal'),
      at: time,
    }),
    brand_visits: rows("The group's brands (chains) the customer has signed in at, first time; an empty brand is the group's own sign-in", { brand: z.string(), name: z.string().nullable(), first_at: time }),
    privacy_requests: rows("The customer's access and erasure requests", {
      id: z.string(),
      kind: z.string().describe('export or erasure'),
      state: z.string(),
      source: z.string().describe('customer or operator'),
      verification: z.string().nullable().describe('How the requester was identified'),
      received_at: time,
      verified_at: maybeTime,
      due_at: time,
      extension_reason: z.string().nullable(),
      completed_at: maybeTime,
    }),
    privacy_tasks: rows("Each system's task in those requests, by its state", {
      id: z.string(),
      request_id: z.string(),
      system: z.string(),
      mode: z.string().describe('delete, restrict or export'),
      reference: z.string().nullable(),
      state: z.string(),
      created_at: time,
      completed_at: maybeTime,
    }),
    audit_entries: rows('Audit log entries about the customer and their privacy requests, as stored (ids and names of changed fields, never values)', {
      seq: z.number(),
      at: time,
      action: z.string(),
      actor_type: z.string().describe('customer, operator, client or system'),
      subject_type: z.string().nullable(),
      subject_id: z.string().nullable(),
      details: z.unknown(),
    }),
  })
  .describe("Portvakt's own part: every table holding the customer's data, section by section");

export type PortvaktPart = z.infer<typeof portvaktPart>;

/** The section names of Portvakt's part, in their order. */
export const PORTVAKT_SECTIONS = Object.keys(portvaktPart.shape) as Array<keyof PortvaktPart>;

const systemPart = z.strictObject({ name: z.string().describe("The system's name on the data map"), data: z.unknown().describe('What the system answered') });

export const exportDocument = z.strictObject({
  format: z.literal('portvakt-export/1'),
  request_id: z.string(),
  customer_id: z.string(),
  generated_at: time,
  systems: z
    .object({ portvakt: z.strictObject({ name: z.string(), data: portvaktPart }).optional() })
    .catchall(systemPart)
    .describe('Each system that answered, by its key on the data map'),
  not_included: z.array(z.strictObject({ system: z.string(), reason: z.string() })).describe('Systems that gave no data, and why'),
});

/** The JSON Schema (draft 2020-12) of the export document. */
export function exportSchema(): Record<string, unknown> {
  return {
    $id: 'portvakt-export/1',
    title: 'Portvakt export',
    description:
      "A customer's data as the export of a privacy request (GDPR Art. 15 and 20) holds it: Portvakt's own part section by section, and every other system's answer. Times are ISO 8601 in UTC; section names are stable.",
    ...z.toJSONSchema(exportDocument, { io: 'output', unrepresentable: 'any' }),
  };
}
