import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import type { WeakPolicy } from '../../credentials/imported-hashes.ts';
import { DomainError, notFound } from '../../errors/domain-error.ts';
import type { Database, ImportJobsTable } from '../../store/schema.ts';
import type { CustomerImport, ImportOptions } from './customer-import.ts';
import { ImportFileError } from './import-lines.ts';
import type { ImportSummary } from './import-report.ts';
import { saveUpload } from './import-upload.ts';

/** A running node writes its job's progress and renews its lease this often; a lease runs this long. */
const RENEW_MS = 1_000;
const LEASE_MS = 30_000;
/** An upload no running job reads is removed after this long untouched. */
const ORPHAN_AFTER_MS = 3600_000;
/** How often a node looks for interrupted jobs whose upload it holds. */
const RESUME_CHECK_MS = 5_000;

/** The options of an uploaded import: the command line's flags, by the API's names. */
export interface ImportJobOptions {
  format: 'ndjson' | 'csv';
  platform: string;
  update: boolean;
  dry_run: boolean;
  allow_weak_hashes: boolean;
  weak_hashes: WeakPolicy;
  publish_events: boolean;
  batch: number;
}

/** What the API shows of a job: no personal data, counts and codes only. */
export interface ImportJobView {
  id: string;
  /** `interrupted`: its node stopped mid-file; the node holding the upload continues it when it runs again. */
  state: 'running' | 'completed' | 'failed' | 'interrupted';
  options: ImportJobOptions;
  progress: { lines: number; bytes: number; total_bytes: number };
  summary: ImportSummary | null;
  error: string | null;
  started_by: string;
  created_at: number;
  finished_at: number | null;
}

interface Running {
  stop: AbortController;
  done: Promise<void>;
}

/**
 * `POST /api/v1/imports`: an uploaded file imported as a background job by the very import the
 * command line runs (`CustomerImport`), and `import_jobs`, which every node answers progress from.
 * The upload is streamed to the node's data directory (`imports/{id}.upload`), the report written
 * beside it (`imports/{id}.report.json`, the command line's `--report`). The running node renews
 * the job's lease; a job whose lease ran out (its node stopped, even by kill -9) is taken up again
 * by the node that holds its upload — at its start and every few seconds — and continues after
 * its last committed batch (`ImportRuns`), its report whole. The upload is deleted when the job ends.
 */
export class ImportJobs {
  readonly #db: Kysely<Database>;
  readonly #import: CustomerImport;
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #onError: (error: unknown) => void;
  readonly #running = new Map<string, Running>();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: { db: Kysely<Database>; customerImport: CustomerImport; dataDir: string; maxBytes: number; onError: (error: unknown) => void }) {
    this.#db = deps.db;
    this.#import = deps.customerImport;
    this.#dir = join(deps.dataDir, 'imports');
    this.#maxBytes = deps.maxBytes;
    this.#onError = deps.onError;
  }

  /** Saves the upload and starts its job; answers the job as it starts. Refuses a file already being imported (409 `import_running`). */
  async start(upload: Readable, declaredBytes: number | undefined, options: ImportJobOptions, operator: string, now = Date.now()): Promise<ImportJobView> {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const id = randomUUID();
    const saved = await saveUpload(upload, this.#upload(id), this.#maxBytes, declaredBytes);
    const row: ImportJobsTable = { id, pool: 'default', fingerprint: saved.fingerprint, options: JSON.stringify(options), upload_bytes: saved.bytes, state: 'running', lines_done: 0, bytes_done: 0, summary: null, error: null, operator, lease_until: now + LEASE_MS, created_at: now, updated_at: now, finished_at: null };
    const inserted = await this.#db.transaction().execute(async (trx) => {
      const busy = await trx.selectFrom('import_jobs').select('id').where('fingerprint', '=', row.fingerprint).where('pool', '=', row.pool).where('state', '=', 'running').executeTakeFirst();
      if (busy) return false;
      await trx.insertInto('import_jobs').values(row).execute();
      return true;
    });
    if (!inserted) {
      await rm(this.#upload(id), { force: true });
      throw new DomainError('import_running', 409, 'This file is being imported already; follow that job', { job: await this.#runningJobOf(row.fingerprint) });
    }
    this.#launch(row);
    return present(row, now);
  }

  async find(id: string, now = Date.now()): Promise<ImportJobView> {
    const row = await this.#db.selectFrom('import_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Import');
    return present(row, now);
  }

  /** The newest jobs first. */
  async list(limit: number, now = Date.now()): Promise<ImportJobView[]> {
    const rows = await this.#db.selectFrom('import_jobs').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
    return rows.map((row) => present(row, now));
  }

  /** The job's report as the command line writes it (`{"lines": [...], "summary": {...}}`), streamed from this node's data directory. */
  async report(id: string): Promise<Readable> {
    const job = await this.find(id);
    const file = this.#report(id);
    if (job.state !== 'completed' || !existsSync(file)) {
      throw new DomainError('report_not_ready', 409, job.state === 'completed' ? 'The report is kept by the node that ran the import' : `The import is ${job.state}: its report is written when it completes`);
    }
    return createReadStream(file);
  }

  /** Takes up interrupted jobs and removes orphaned uploads at once, and again every few seconds. */
  startWorker(): void {
    const pass = () => void this.resumeInterrupted().then(() => this.removeOrphans()).catch(this.#onError);
    this.#timer = setInterval(pass, RESUME_CHECK_MS);
    this.#timer.unref();
    pass();
  }

  /** Stops every running job after its batch in progress and gives up its lease, so the next start continues it at once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    const running = [...this.#running.values()];
    for (const job of running) job.stop.abort(new Error('server stopping'));
    await Promise.all(running.map((job) => job.done));
  }

  /** Jobs whose node stopped (their lease ran out) and whose upload this node holds: claimed, one node each, and continued. */
  async resumeInterrupted(now = Date.now()): Promise<void> {
    const stale = await this.#db.selectFrom('import_jobs').selectAll().where('state', '=', 'running').where('lease_until', '<', now).execute();
    for (const row of stale) {
      if (this.#running.has(row.id) || !existsSync(this.#upload(row.id))) continue;
      const claimed = await this.#db.updateTable('import_jobs').set({ lease_until: now + LEASE_MS, updated_at: now }).where('id', '=', row.id).where('state', '=', 'running').where('lease_until', '<', now).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 1) this.#launch(row);
    }
  }

  /**
   * Uploads no running job will read (a node killed while a file was arriving, before its job
   * existed, or a job ended but its file left): removed once untouched for an hour, since they
   * hold personal data and password hashes. An upload still arriving is written to all the time.
   */
  async removeOrphans(now = Date.now()): Promise<void> {
    if (!existsSync(this.#dir)) return;
    const ids = readdirSync(this.#dir).flatMap((name) => /^([0-9a-f-]{36})\.upload$/.exec(name)?.[1] ?? []);
    if (ids.length === 0) return;
    const running = new Set((await this.#db.selectFrom('import_jobs').select('id').where('id', 'in', ids).where('state', '=', 'running').execute()).map((row) => row.id));
    for (const id of ids) {
      if (running.has(id) || this.#running.has(id)) continue;
      const modified = statSync(this.#upload(id), { throwIfNoEntry: false })?.mtimeMs;
      if (modified !== undefined && modified < now - ORPHAN_AFTER_MS) await rm(this.#upload(id), { force: true });
    }
  }

  #launch(row: ImportJobsTable): void {
    const stop = new AbortController();
    const done = this.#execute(row, stop.signal).catch(this.#onError).finally(() => this.#running.delete(row.id));
    this.#running.set(row.id, { stop, done });
  }

  /** Runs the import; the lease and the progress are written every second meanwhile. */
  async #execute(row: ImportJobsTable, signal: AbortSignal): Promise<void> {
    let progress = { lines: Number(row.lines_done), bytes: Number(row.bytes_done) };
    const renew = setInterval(() => void this.#renew(row.id, progress).catch(this.#onError), RENEW_MS);
    try {
      const options = { ...importOptionsOf(row, this.#upload(row.id), this.#report(row.id)), onFinished: (trx: Transaction<Database>, summary: ImportSummary) => this.#complete(trx, row, summary) };
      const summary = await this.#import.run(options, (now) => (progress = now), signal);
      // A dry run has no finishing transaction of its own.
      if (summary.dry_run) await this.#complete(this.#db, row, summary);
    } catch (error) {
      if (signal.aborted) return await this.#release(row.id, progress);
      if (!(error instanceof ImportFileError)) this.#onError(error);
      await this.#db.updateTable('import_jobs').set({ state: 'failed', error: error instanceof ImportFileError ? `bad_file: ${error.message}` : 'import_failed: see the server log', updated_at: Date.now(), finished_at: Date.now() }).where('id', '=', row.id).execute();
    } finally {
      clearInterval(renew);
    }
    // Completed or failed: the upload (personal data, password hashes) is deleted; the report stays.
    await rm(this.#upload(row.id), { force: true });
  }

  /** Completed, in the transaction that finishes the import run (and writes its audit entry). */
  async #complete(db: Kysely<Database>, row: ImportJobsTable, summary: ImportSummary, now = Date.now()): Promise<void> {
    await db.updateTable('import_jobs').set({ state: 'completed', summary: JSON.stringify(summary), lines_done: summary.lines, bytes_done: Number(row.upload_bytes), updated_at: now, finished_at: now }).where('id', '=', row.id).execute();
  }

  async #renew(id: string, progress: { lines: number; bytes: number }, now = Date.now()): Promise<void> {
    await this.#db.updateTable('import_jobs').set({ lines_done: progress.lines, bytes_done: progress.bytes, lease_until: now + LEASE_MS, updated_at: now }).where('id', '=', id).where('state', '=', 'running').execute();
  }

  /** Stopped by a shutdown: still running, its lease given up so that the next start takes it at once. */
  async #release(id: string, progress: { lines: number; bytes: number }, now = Date.now()): Promise<void> {
    await this.#db.updateTable('import_jobs').set({ lines_done: progress.lines, bytes_done: progress.bytes, lease_until: 0, updated_at: now }).where('id', '=', id).where('state', '=', 'running').execute();
  }

  async #runningJobOf(fingerprint: string): Promise<string | undefined> {
    return (await this.#db.selectFrom('import_jobs').select('id').where('fingerprint', '=', fingerprint).where('state', '=', 'running').executeTakeFirst())?.id;
  }

  #upload(id: string): string {
    return join(this.#dir, `${id}.upload`);
  }

  #report(id: string): string {
    return join(this.#dir, `${id}.report.json`);
  }
}

/** The command line's options for the job's upload: one import, whichever way it came. */
function importOptionsOf(row: ImportJobsTable, file: string, reportFile: string): ImportOptions {
  const options = JSON.parse(row.options) as ImportJobOptions;
  return {
    file,
    format: options.format,
    pool: row.pool,
    platform: options.platform,
    update: options.update,
    dryRun: options.dry_run,
    allowWeakHashes: options.allow_weak_hashes,
    weakHashes: options.weak_hashes,
    publishEvents: options.publish_events,
    batch: options.batch,
    reportFile,
    operator: row.operator,
  };
}

function present(row: ImportJobsTable, now: number): ImportJobView {
  const interrupted = row.state === 'running' && Number(row.lease_until) < now;
  return {
    id: row.id,
    state: interrupted ? 'interrupted' : row.state,
    options: JSON.parse(row.options) as ImportJobOptions,
    progress: { lines: Number(row.lines_done), bytes: Number(row.bytes_done), total_bytes: Number(row.upload_bytes) },
    summary: row.summary === null ? null : (JSON.parse(row.summary) as ImportSummary),
    error: row.error,
    started_by: row.operator,
    created_at: Math.floor(Number(row.created_at) / 1000),
    finished_at: row.finished_at === null ? null : Math.floor(Number(row.finished_at) / 1000),
  };
}
