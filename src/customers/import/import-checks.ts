import { createHash } from 'node:crypto';
import type { ConsentLedger, Decision, DecisionSource } from '../../consent/consent-ledger.ts';
import type { ConsentPurposes, PurposeVersion } from '../../consent/consent-purposes.ts';
import { HashRefusal, recogniseHash, type RecognisedHash, type WeakPolicy } from '../../credentials/imported-hashes.ts';
import { DomainError } from '../../errors/domain-error.ts';
import type { CustomerAttributes } from '../../profile/customer-attributes.ts';
import type { AttributeDefinition } from '../../profile/profile-schema.ts';
import { importRecordSchema, recordFromCsv, type ImportConsent, type ImportRecord } from './import-record.ts';
import type { CsvRecord } from './import-csv.ts';
import type { FileLine } from './import-lines.ts';

export type ImportedDecision = Decision & { textHash: string; source: DecisionSource };

/** Why a line is not imported: the field (null: the line as a whole) and the reason. */
export interface Refusal {
  field: string | null;
  reason: string;
}

/** A line as read and checked, before anything is written: refused, or a record with what it will write. */
export interface CheckedLine {
  line: number;
  sourceId?: string;
  refused?: Refusal;
  record?: ImportRecord;
  hash?: RecognisedHash;
  decisions?: ImportedDecision[];
  attributes?: Array<[string, unknown]>;
}

export class LineRefused extends Error {
  readonly refusal: Refusal;
  constructor(field: string | null, reason: string) {
    super(reason);
    this.refusal = { field, reason };
  }
}

/** A line read as a record (NDJSON, or a CSV record under its header) and checked against the record schema and the hash formats; no database. */
export function readLine(input: FileLine | CsvRecord, csvHeader: readonly string[] | undefined, hashes: { allowWeak: boolean; weakPolicy: WeakPolicy }): CheckedLine {
  if (input.tooLong) return { line: input.number, refused: { field: null, reason: 'line_too_long' } };
  if ('malformed' in input && input.malformed) return { line: input.number, refused: { field: null, reason: 'bad_csv' } };
  let raw: unknown;
  try {
    raw = 'cells' in input ? recordFromCsv(csvHeader ?? [], input.cells) : JSON.parse(input.text);
  } catch {
    return { line: input.number, refused: { field: null, reason: csvHeader ? 'bad_csv' : 'bad_json' } };
  }
  const parsed = importRecordSchema.safeParse(raw);
  const sourceId = typeof (raw as { source_id?: unknown } | null)?.source_id === 'string' ? String((raw as { source_id: string }).source_id).slice(0, 200) : undefined;
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { line: input.number, ...(sourceId ? { sourceId } : {}), refused: { field: issue.path.length ? issue.path.join('.') : null, reason: issue.code === 'unrecognized_keys' ? `unknown_field: ${issue.keys.join(', ')}` : `invalid: ${issue.message}` } };
  }
  const record = parsed.data;
  const checked: CheckedLine = { line: input.number, record, ...(record.source_id ? { sourceId: record.source_id } : {}) };
  if (record.password_hash === undefined) return checked;
  try {
    return { ...checked, hash: recogniseHash(record.password_hash, hashes) };
  } catch (error) {
    if (error instanceof HashRefusal) return { ...checked, record: undefined, refused: { field: 'password_hash', reason: error.reason } };
    throw error;
  }
}

/** The key a decision without its own record id is known by on the old platform: the source id, else a hash of the e-mail (no address in the ledger's record id). */
export function sourceKeyOf(record: ImportRecord): string {
  return record.source_id ?? `email-sha256:${createHash('sha256').update(record.email).digest('hex').slice(0, 32)}`;
}

/**
 * Checks against the database as it is configured (purposes and their versions, the profile
 * schema), read before a batch's transaction opens: what is read here never changes during an import.
 */
export class ImportChecks {
  readonly #purposes: ConsentPurposes;
  readonly #ledger: ConsentLedger;
  readonly #attributes: CustomerAttributes;
  readonly #platform: string;
  readonly #versions = new Map<string, PurposeVersion[] | null>();
  #schema: AttributeDefinition[] | undefined;

  constructor(deps: { purposes: ConsentPurposes; ledger: ConsentLedger; attributes: CustomerAttributes; profileSchema: AttributeDefinition[] }, platform: string) {
    this.#purposes = deps.purposes;
    this.#ledger = deps.ledger;
    this.#attributes = deps.attributes;
    this.#schema = deps.profileSchema;
    this.#platform = platform;
  }

  /** The line with its decisions and attribute values checked, or refused naming the first field that is not right. */
  async check(line: CheckedLine): Promise<CheckedLine> {
    const record = line.record;
    if (!record) return line;
    try {
      const decisions: ImportedDecision[] = [];
      for (const [index, consent] of (record.consents ?? []).entries()) decisions.push(await this.#decision(record, consent, `consents.${index}`));
      const attributes = record.attributes ? await this.#checkedAttributes(record.attributes) : [];
      return { ...line, decisions, attributes };
    } catch (error) {
      if (error instanceof LineRefused) return { line: line.line, ...(line.sourceId ? { sourceId: line.sourceId } : {}), refused: error.refusal };
      throw error;
    }
  }

  async #decision(record: ImportRecord, consent: ImportConsent, field: string): Promise<ImportedDecision> {
    const versions = await this.#versionsOf(consent.purpose);
    if (!versions) throw new LineRefused(`${field}.purpose`, 'unknown_purpose');
    const byHash = consent.text_hash === undefined ? undefined : versions.find((version) => version.textHash === consent.text_hash);
    const version = consent.version === undefined ? byHash : versions.find((candidate) => candidate.version === consent.version);
    if (!version) throw new LineRefused(`${field}.${consent.version === undefined ? 'text_hash' : 'version'}`, consent.version === undefined ? 'unknown_text_hash' : 'unknown_version');
    if (consent.text_hash !== undefined && consent.text_hash !== version.textHash) throw new LineRefused(`${field}.text_hash`, 'text_hash_mismatch');
    const source: DecisionSource = { platform: this.#platform, recordId: consent.record_id ?? `${sourceKeyOf(record)}:${consent.purpose}:${consent.captured_at}`, capturedAt: consent.captured_at, proof: consent.proof ?? consent.text_hash ?? null };
    const decision: ImportedDecision = { purpose: consent.purpose, version: version.version, decision: consent.decision, source, textHash: version.textHash };
    await this.#ledger.validate([decision]).catch((error: unknown) => {
      throw error instanceof DomainError ? new LineRefused(field, error.code) : error;
    });
    return decision;
  }

  async #versionsOf(purpose: string): Promise<PurposeVersion[] | null> {
    if (!this.#versions.has(purpose)) {
      const current = await this.#purposes.current(purpose).catch(() => undefined);
      const versions: PurposeVersion[] = [];
      for (let number = 1; current && number <= current.version; number += 1) {
        const version = await this.#purposes.version(purpose, number);
        if (version) versions.push(version);
      }
      this.#versions.set(purpose, current ? versions : null);
    }
    return this.#versions.get(purpose)!;
  }

  async #checkedAttributes(values: Record<string, unknown>): Promise<Array<[string, unknown]>> {
    try {
      return await this.#attributes.check(values, this.#schema);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const first = (error.details as Array<{ path: string }> | undefined)?.[0];
      throw new LineRefused(`attributes${first ? `.${first.path}` : ''}`, error.code);
    }
  }
}
