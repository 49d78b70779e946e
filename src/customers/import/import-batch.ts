import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { ConsentLedger } from '../../consent/consent-ledger.ts';
import { CredentialStore } from '../../credentials/credential-store.ts';
import { isImported } from '../../credentials/imported-hashes.ts';
import type { EventPublisher } from '../../events/event-publisher.ts';
import type { Suppressions } from '../../privacy/suppressions.ts';
import type { CustomerAttributes } from '../../profile/customer-attributes.ts';
import type { Database } from '../../store/schema.ts';
import type { CustomerReferences } from '../customer-references.ts';
import { CustomerStore, type CustomerRecord } from '../customer-store.ts';
import { newCustomerRecord } from '../customers.ts';
import type { CheckedLine, Refusal } from './import-checks.ts';

export interface BatchDeps {
  customerStore: CustomerStore;
  ledger: ConsentLedger;
  suppressions: Suppressions;
  attributes: CustomerAttributes;
  references: CustomerReferences;
  events: EventPublisher;
}

export interface BatchSettings {
  pool: string;
  platform: string;
  update: boolean;
  publishEvents: boolean;
  /** The platform is a system on the data map: source ids are kept as the customers' references there, and found by them. */
  platformMapped: boolean;
}

export type Outcome = 'accepted' | 'updated' | 'skipped' | 'refused';

export interface LineResult {
  line: number;
  outcome: Outcome;
  sourceId?: string;
  field?: string | null;
  reason?: string;
  hashFormat?: string;
}

/** E-mail addresses seen earlier in the file (a short keyed digest of each → its first line): duplicates are reported, not merged. */
export type EmailsSeen = Map<string, number>;

export function emailKey(email: string): string {
  return createHash('sha256').update(email).digest().subarray(0, 12).toString('latin1');
}

type Classified = { result: LineResult } | { create: CustomerRecord; item: CheckedLine } | { update: CustomerRecord; item: CheckedLine };

/** Rows per multi-row INSERT: within both engines' bound parameters for every table written. */
const ROWS_PER_INSERT = 500;

/**
 * One batch of checked lines written in the caller's transaction: each line's customer is created,
 * updated (`--update`), skipped (already there, erased, a duplicate in the file) or refused
 * (a phone or reference another customer has), all or nothing with the batch. `seen` gains this
 * batch's addresses only in `seenHere`, for the caller to merge once the batch committed.
 */
export async function writeBatch(trx: Transaction<Database>, deps: BatchDeps, settings: BatchSettings, items: readonly CheckedLine[], seen: EmailsSeen, seenHere: EmailsSeen, now: number): Promise<LineResult[]> {
  const known = await prefetch(trx, deps, settings, items);
  const claims: Claims = { seen, seenHere, phones: new Set(), references: new Set() };
  const classified = items.map((item): Classified => (item.record ? classify(settings, item, known, claims, now) : { result: refusedResult(item, item.refused!) }));
  const created = classified.flatMap((entry) => ('create' in entry ? [entry] : []));
  for (let offset = 0; offset < created.length; offset += ROWS_PER_INSERT) {
    const slice = created.slice(offset, offset + ROWS_PER_INSERT);
    await CustomerStore.insertImported(trx, slice.map((entry) => entry.create));
    const passwords = slice.flatMap(({ create, item }) => (item.hash ? [{ customerId: create.id, passwordHash: item.hash.stored, now }] : []));
    if (passwords.length > 0) await CredentialStore.insertPasswords(trx, passwords);
  }
  const results: LineResult[] = [];
  for (const entry of classified) {
    if ('result' in entry) results.push(entry.result);
    else if ('create' in entry) results.push(await alongside(trx, deps, settings, entry.create, entry.item, 'accepted', now));
    else results.push(await updateExisting(trx, deps, settings, entry.update, entry.item, now));
  }
  return results;
}

function refusedResult(item: CheckedLine, refusal: Refusal, outcome: Outcome = 'refused'): LineResult {
  return { line: item.line, outcome, ...(item.sourceId ? { sourceId: item.sourceId } : {}), field: refusal.field, reason: refusal.reason };
}

/** What the database holds about a batch's customers, read in a few queries before any line is decided. */
interface Known {
  byEmail: Map<string, CustomerRecord>;
  /** By source id, in the platform's references. */
  bySource: Map<string, CustomerRecord>;
  suppressed: Set<string>;
  phones: Map<string, string>;
  /** System → whether it is on the data map, and who holds each reference there. */
  systems: Map<string, { mapped: boolean; holders: Map<string, string> }>;
}

async function prefetch(trx: Transaction<Database>, deps: BatchDeps, settings: BatchSettings, items: readonly CheckedLine[]): Promise<Known> {
  const records = items.flatMap((item) => (item.record ? [item.record] : []));
  const emails = records.map((record) => record.email);
  const phones = records.flatMap((record) => (record.phone_number ? [record.phone_number] : []));
  const wanted = new Map<string, string[]>();
  for (const record of records) for (const [system, reference] of referencesOf(settings, record.source_id, record.references)) wanted.set(system, [...(wanted.get(system) ?? []), reference]);
  const systems: Known['systems'] = new Map();
  for (const [system, references] of wanted) {
    const mapped = await deps.references.mappedWithin(trx, system);
    systems.set(system, { mapped, holders: mapped ? await deps.references.customersWithin(trx, system, references) : new Map() });
  }
  const bySource = new Map<string, CustomerRecord>();
  const sourceHolders = settings.platformMapped ? (systems.get(settings.platform)?.holders ?? new Map<string, string>()) : new Map<string, string>();
  const holders = await deps.customerStore.findByIds([...new Set(sourceHolders.values())], trx);
  const byId = new Map(holders.map((record) => [record.id, record]));
  for (const [reference, id] of sourceHolders) if (byId.has(id)) bySource.set(reference, byId.get(id)!);
  return {
    byEmail: await deps.customerStore.findByEmails(settings.pool, emails, trx),
    bySource,
    suppressed: await deps.suppressions.suppressedAmong(settings.pool, emails, trx),
    phones: await deps.customerStore.phoneHolders(settings.pool, phones, trx),
    systems,
  };
}

interface Claims {
  seen: EmailsSeen;
  seenHere: EmailsSeen;
  phones: Set<string>;
  references: Set<string>;
}

function classify(settings: BatchSettings, item: CheckedLine, known: Known, claims: Claims, now: number): Classified {
  const record = item.record!;
  const key = emailKey(record.email);
  const first = claims.seen.get(key) ?? claims.seenHere.get(key);
  if (first !== undefined) return { result: refusedResult(item, { field: 'email', reason: `duplicate_email: first on line ${first}` }, 'skipped') };
  claims.seenHere.set(key, item.line);
  // The customer this record is: by its source id in the platform's references when the platform is on the data map, else by e-mail.
  const existing = (record.source_id ? known.bySource.get(record.source_id) : undefined) ?? known.byEmail.get(record.email);
  if (existing && !settings.update) return { result: refusedResult(item, { field: null, reason: 'exists' }, 'skipped') };
  if (!existing && known.suppressed.has(record.email)) return { result: refusedResult(item, { field: null, reason: 'erased_customer' }, 'skipped') };
  const conflict = claimConflict(settings, item, existing?.id, known, claims);
  if (conflict) return { result: refusedResult(item, conflict) };
  if (existing) return { update: existing, item };
  const create = newCustomerRecord(record, item.hash?.stored ?? null, settings.pool, now);
  return { create, item };
}

/** A phone number or reference another customer holds (in the database or earlier in this batch), and references into systems not on the data map. */
function claimConflict(settings: BatchSettings, item: CheckedLine, customerId: string | undefined, known: Known, claims: Claims): Refusal | undefined {
  const record = item.record!;
  const phone = record.phone_number;
  const phoneHolder = phone ? known.phones.get(phone) : undefined;
  if (phone && (claims.phones.has(phone) || (phoneHolder && phoneHolder !== customerId))) return { field: 'phone_number', reason: 'phone_taken' };
  const references = referencesOf(settings, record.source_id, record.references);
  for (const [system, reference] of references) {
    const field = system === settings.platform && reference === record.source_id ? 'source_id' : `references.${system}`;
    const where = known.systems.get(system);
    if (!where?.mapped) return { field, reason: 'unknown_system' };
    const holder = where.holders.get(reference);
    if (claims.references.has(`${system}\n${reference}`) || (holder && holder !== customerId)) return { field, reason: 'reference_taken' };
  }
  if (phone) claims.phones.add(phone);
  for (const [system, reference] of references) claims.references.add(`${system}\n${reference}`);
  return undefined;
}

/** The references a record brings: its own, and its source id in the platform's system when that is on the data map. */
function referencesOf(settings: BatchSettings, sourceId: string | undefined, references: Record<string, string> | undefined): Array<[string, string]> {
  const own = Object.entries(references ?? {});
  return sourceId && settings.platformMapped && !(settings.platform in (references ?? {})) ? [[settings.platform, sourceId], ...own] : own;
}

/** What comes with a customer's row: references, attribute values, consent decisions (with their source), and the event when asked. */
async function alongside(trx: Transaction<Database>, deps: BatchDeps, settings: BatchSettings, customer: CustomerRecord, item: CheckedLine, outcome: Outcome, now: number): Promise<LineResult> {
  const record = item.record!;
  for (const [system, reference] of referencesOf(settings, record.source_id, record.references)) await deps.references.importWithin(trx, customer.id, system, reference, now);
  await deps.attributes.importWithin(trx, customer.id, item.attributes ?? [], now);
  if (item.decisions?.length) await deps.ledger.recordImported(trx, customer.id, customer.locale ?? 'sv', item.decisions, settings.publishEvents, now);
  if (settings.publishEvents) {
    const event = outcome === 'accepted' ? { type: 'customer.created', data: { email_verified: customer.emailVerifiedAt !== null, imported: true } } : { type: 'customer.updated', data: { fields: ['import'], status: customer.status } };
    await deps.events.publish(trx, { ...event, customerId: customer.id }, now);
  }
  return { line: item.line, outcome, ...(item.sourceId ? { sourceId: item.sourceId } : {}), ...(item.hash ? { hashFormat: item.hash.format } : {}) };
}

/**
 * `--update`: the record's fields over the customer's, the e-mail address kept. The password only
 * while the customer still has none or an imported one: a customer who signed in since has their
 * own argon2id hash, which an old platform's hash must not replace.
 */
async function updateExisting(trx: Transaction<Database>, deps: BatchDeps, settings: BatchSettings, current: CustomerRecord, item: CheckedLine, now: number): Promise<LineResult> {
  const record = item.record!;
  const phone = record.phone_number ?? current.phone;
  const next: CustomerRecord = {
    ...current,
    givenName: record.given_name ?? current.givenName,
    familyName: record.family_name ?? current.familyName,
    locale: record.locale ?? current.locale,
    phone,
    phoneVerifiedAt: phone === current.phone ? current.phoneVerifiedAt : record.phone_number_verified ? now : null,
    emailVerifiedAt: current.emailVerifiedAt ?? (record.email_verified ? now : null),
    updatedAt: now,
  };
  if (!(await deps.customerStore.update(next, trx))) throw new Error('the customer changed during the import');
  if (item.hash && (current.passwordHash === null || isImported(current.passwordHash))) await deps.customerStore.setPassword(current.id, item.hash.stored, now, trx);
  return alongside(trx, deps, settings, { ...next, version: next.version + 1 }, item, 'updated', now);
}
