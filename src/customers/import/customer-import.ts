import type { Kysely, Transaction } from 'kysely';
import type { ConsentLedger } from '../../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../../consent/consent-purposes.ts';
import type { WeakPolicy } from '../../credentials/imported-hashes.ts';
import type { AuditLog } from '../../events/audit-log.ts';
import type { EventPublisher } from '../../events/event-publisher.ts';
import type { Suppressions } from '../../privacy/suppressions.ts';
import type { CustomerAttributes } from '../../profile/customer-attributes.ts';
import type { ProfileSchema } from '../../profile/profile-schema.ts';
import type { Database } from '../../store/schema.ts';
import type { CustomerReferences } from '../customer-references.ts';
import type { CustomerStore } from '../customer-store.ts';
import { emailKey, writeBatch, type BatchDeps, type BatchSettings, type EmailsSeen, type LineResult } from './import-batch.ts';
import { ImportChecks, readLine, type CheckedLine } from './import-checks.ts';
import { csvRecords, type CsvRecord } from './import-csv.ts';
import { fileFingerprint, fileLines, ImportFileError, type FileLine } from './import-lines.ts';
import { ImportReport, type ImportSummary } from './import-report.ts';
import { ImportRuns, type ImportRun } from './import-runs.ts';

export interface ImportOptions {
  file: string;
  format: 'ndjson' | 'csv';
  pool: string;
  /** The platform the customers come from (`woocommerce`, `magento`, …): the consent decisions' source, and the data-map system of the source ids when it is one. */
  platform: string;
  update: boolean;
  dryRun: boolean;
  allowWeakHashes: boolean;
  weakHashes: WeakPolicy;
  publishEvents: boolean;
  /** Lines per transaction. */
  batch: number;
  reportFile?: string;
  /** Who the run's audit entry names: the API's caller (`key:…`, `admin-key`); the command line when absent. */
  operator?: string;
  /** Runs in the transaction that marks the run finished (an API job records its completion with it, so no crash falls between). */
  onFinished?: (trx: Transaction<Database>, summary: ImportSummary) => Promise<void>;
}

export interface ImportDeps extends BatchDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  purposes: ConsentPurposes;
  profileSchema: ProfileSchema;
}

export type ImportProgress = (progress: { lines: number; bytes: number }) => void;

/** Thrown out of a dry run's transaction with what it would have done: nothing is written. */
class DryRun extends Error {
  readonly results: LineResult[];
  constructor(results: LineResult[]) {
    super('dry run');
    this.results = results;
  }
}

/**
 * `portvakt import FILE`: customers from another platform (NDJSON, or CSV with a header),
 * streamed line by line, checked, and written in batches of one transaction each, their password
 * hashes kept as they are until each customer's next sign-in. Idempotent by source key (the
 * platform's id of the customer when the platform is on the data map, else the e-mail): a re-run
 * changes nothing without `--update`. After a crash the same file continues after its last
 * committed batch (`ImportRuns`), and the report is whole. One audit entry per run.
 */
export class CustomerImport {
  readonly #deps: ImportDeps;
  readonly #runs: ImportRuns;

  constructor(deps: ImportDeps) {
    this.#deps = deps;
    this.#runs = new ImportRuns(deps.db);
  }

  /**
   * Imports the file. `signal` stops it between batches (a server shutting down): what committed
   * stays, and the same file run again continues after it.
   */
  async run(options: ImportOptions, progress: ImportProgress = () => {}, signal?: AbortSignal): Promise<ImportSummary> {
    const began = performance.now();
    const fingerprint = await fileFingerprint(options.file);
    const run = options.dryRun ? undefined : await this.#runs.open(fingerprint, options.pool, options.platform);
    const platformMapped = await this.#deps.db.transaction().execute((trx) => this.#deps.references.mappedWithin(trx, options.platform));
    const settings: BatchSettings = { pool: options.pool, platform: options.platform, update: options.update, publishEvents: options.publishEvents, platformMapped };
    const checks = new ImportChecks({ ...this.#deps, profileSchema: await this.#deps.profileSchema.listFresh() }, options.platform);
    const report = new ImportReport(options.reportFile);
    let summary: ImportSummary | undefined;
    try {
      await this.#lines(options, { run, settings, checks, report }, progress, signal);
      summary = report.summary({ file_fingerprint: fingerprint, platform: options.platform, dry_run: options.dryRun, resumed_after: run?.committedLine ?? 0 }, (performance.now() - began) / 1000);
    } finally {
      // Whole on disk before the run is marked finished: an API job's report is served once it has completed.
      await report.close(summary);
    }
    if (run) await this.#finish(run, options, summary);
    return summary;
  }

  async #lines(options: ImportOptions, state: RunState, progress: ImportProgress, signal: AbortSignal | undefined): Promise<void> {
    let header: string[] | undefined;
    let batch: CheckedLine[] = [];
    const seen: EmailsSeen = new Map();
    const hashes = { allowWeak: options.allowWeakHashes, weakPolicy: options.weakHashes };
    const lines: AsyncIterable<FileLine | CsvRecord> = options.format === 'csv' ? csvRecords(options.file) : fileLines(options.file);
    for await (const line of lines) {
      if (options.format === 'csv' && !header) {
        if (!('cells' in line)) throw new ImportFileError(`the CSV header (line ${line.number}) cannot be read`);
        header = line.cells.map((cell) => cell.trim());
        continue;
      }
      batch.push(readLine(line, header, hashes));
      if (batch.length >= options.batch) {
        signal?.throwIfAborted();
        await this.#batch(options, state, batch, seen);
        batch = [];
        progress({ lines: line.number, bytes: line.end });
      }
    }
    signal?.throwIfAborted();
    if (batch.length > 0) await this.#batch(options, state, batch, seen);
  }

  /** A batch: lines a previous run committed are reported as it left them; the rest are written now. */
  async #batch(options: ImportOptions, state: RunState, batch: CheckedLine[], seen: EmailsSeen): Promise<void> {
    const committed = state.run?.committedLine ?? 0;
    const replayed = batch.filter((item) => item.line <= committed);
    const live = batch.filter((item) => item.line > committed);
    if (replayed.length > 0) await state.report.add(await this.#replay(state.run!, replayed, seen));
    if (live.length === 0) return;
    const checked: CheckedLine[] = [];
    for (const item of live) checked.push(await state.checks.check(item));
    await state.report.add(await this.#write(options, state, checked, seen));
  }

  /** Lines committed by an earlier, stopped run: their outcomes as stored, their addresses counted as seen. */
  async #replay(run: ImportRun, items: CheckedLine[], seen: EmailsSeen): Promise<LineResult[]> {
    const stored = await this.#runs.outcomes(run, items[0]!.line, items.at(-1)!.line);
    return items.map((item) => {
      const outcome = stored.get(item.line);
      const key = item.record && emailKey(item.record.email);
      if (key && outcome?.outcome !== 'refused' && !seen.has(key)) seen.set(key, item.line);
      const base = { line: item.line, ...(item.sourceId ? { sourceId: item.sourceId } : {}) };
      if (!outcome) return { ...base, outcome: 'accepted' as const, ...(item.hash ? { hashFormat: item.hash.format } : {}) };
      return { ...base, outcome: outcome.outcome, field: outcome.field, reason: outcome.reason, ...(outcome.outcome === 'updated' && item.hash ? { hashFormat: item.hash.format } : {}) };
    });
  }

  /** One transaction for the batch; should it fail as a whole (a constraint no check foresaw), each line alone, a failing one refused. */
  async #write(options: ImportOptions, state: RunState, items: CheckedLine[], seen: EmailsSeen): Promise<LineResult[]> {
    try {
      return await this.#transaction(options, state, items, seen);
    } catch (error) {
      // The database's code only: its message may quote the row (an address in a unique violation).
      const code = (error as { code?: unknown }).code;
      if (items.length === 1) return [{ line: items[0]!.line, outcome: 'refused', field: null, reason: `write_failed${typeof code === 'string' ? `: ${code}` : ''}` }];
      const results: LineResult[] = [];
      for (const item of items) results.push(...(await this.#write(options, state, [item], seen)));
      return results;
    }
  }

  async #transaction(options: ImportOptions, state: RunState, items: CheckedLine[], seen: EmailsSeen): Promise<LineResult[]> {
    const seenHere: EmailsSeen = new Map();
    const now = Date.now();
    try {
      const results = await this.#deps.db.transaction().execute(async (trx) => {
        const written = await writeBatch(trx, this.#deps, state.settings, items, seen, seenHere, now);
        if (options.dryRun) throw new DryRun(written);
        const kept = written.filter((result) => result.outcome !== 'accepted').map((result) => ({ line: result.line, outcome: result.outcome as 'updated' | 'skipped' | 'refused', field: result.field ?? null, reason: result.reason ?? '' }));
        await this.#runs.committed(trx, state.run!, items.at(-1)!.line, kept, now);
        return written;
      });
      for (const [key, line] of seenHere) seen.set(key, line);
      return results;
    } catch (error) {
      if (!(error instanceof DryRun)) throw error;
      for (const [key, line] of seenHere) seen.set(key, line);
      return error.results;
    }
  }

  async #finish(run: ImportRun, options: ImportOptions, summary: ImportSummary): Promise<void> {
    await this.#deps.db.transaction().execute(async (trx) => {
      await this.#runs.finish(trx, run, Date.now());
      await options.onFinished?.(trx, summary);
      const { lines, accepted, updated, skipped, refused, reasons, hash_formats, resumed_after } = summary;
      await this.#deps.audit.append(trx, {
        action: 'customers.imported',
        actor: { type: 'operator', id: options.operator ?? 'cli' },
        subject: { type: 'pool', id: options.pool },
        details: { platform: options.platform, file_fingerprint: run.fingerprint, update: options.update, lines, accepted, updated, skipped, refused, reasons: counted(reasons), hash_formats: counted(hash_formats), resumed_after },
      });
    });
  }
}

/** `{ exists: 3 }` as `['exists=3']`: the audit's details are flat. */
function counted(counts: Record<string, number>): string[] {
  return Object.entries(counts).map(([key, count]) => `${key}=${count}`);
}

interface RunState {
  run: ImportRun | undefined;
  settings: BatchSettings;
  checks: ImportChecks;
  report: ImportReport;
}
