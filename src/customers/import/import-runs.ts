import type { Kysely, Transaction } from 'kysely';
import type { Database, ImportRunLinesTable } from '../../store/schema.ts';

export type LineOutcome = Omit<ImportRunLinesTable, 'fingerprint' | 'pool'>;

export interface ImportRun {
  fingerprint: string;
  pool: string;
  /** The last line whose batch committed: a resumed run continues after it. */
  committedLine: number;
  finished: boolean;
}

/**
 * Every write to `import_runs` and `import_run_lines`: where an import of a file (by fingerprint)
 * stands, and what became of its lines that were not simply accepted. A batch's outcomes and the
 * line it reached are written in the batch's own transaction, so after a crash the run continues
 * exactly after the last committed batch and its report is whole.
 */
export class ImportRuns {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * The run of this file: an unfinished one continues; a finished one (or none) starts afresh
   * from line 1 (a re-run of a whole file is a new run, which finds its customers already there).
   */
  async open(fingerprint: string, pool: string, platform: string, now = Date.now()): Promise<ImportRun> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('import_runs').selectAll().where('fingerprint', '=', fingerprint).where('pool', '=', pool).executeTakeFirst();
      if (row && row.finished_at === null) return { fingerprint, pool, committedLine: Number(row.committed_line), finished: false };
      await trx.deleteFrom('import_run_lines').where('fingerprint', '=', fingerprint).where('pool', '=', pool).execute();
      await trx.deleteFrom('import_runs').where('fingerprint', '=', fingerprint).where('pool', '=', pool).execute();
      await trx.insertInto('import_runs').values({ fingerprint, pool, platform, committed_line: 0, started_at: now, updated_at: now, finished_at: null }).execute();
      return { fingerprint, pool, committedLine: 0, finished: false };
    });
  }

  /** The outcomes already committed for lines `from`..`to` (those not listed were accepted). */
  async outcomes(run: ImportRun, from: number, to: number): Promise<Map<number, LineOutcome>> {
    const rows = await this.#db
      .selectFrom('import_run_lines')
      .select(['line', 'outcome', 'field', 'reason'])
      .where('fingerprint', '=', run.fingerprint)
      .where('pool', '=', run.pool)
      .where('line', '>=', from)
      .where('line', '<=', to)
      .execute();
    return new Map(rows.map((row) => [Number(row.line), { ...row, line: Number(row.line) }]));
  }

  /** A batch's outcomes and the line it reached, in the batch's transaction. */
  async committed(trx: Transaction<Database>, run: ImportRun, lastLine: number, outcomes: readonly LineOutcome[], now: number): Promise<void> {
    for (let offset = 0; offset < outcomes.length; offset += 1000) {
      await trx
        .insertInto('import_run_lines')
        .values(outcomes.slice(offset, offset + 1000).map((outcome) => ({ fingerprint: run.fingerprint, pool: run.pool, ...outcome })))
        .execute();
    }
    await trx.updateTable('import_runs').set({ committed_line: lastLine, updated_at: now }).where('fingerprint', '=', run.fingerprint).where('pool', '=', run.pool).execute();
  }

  async finish(trx: Transaction<Database>, run: ImportRun, now: number): Promise<void> {
    await trx.updateTable('import_runs').set({ finished_at: now, updated_at: now }).where('fingerprint', '=', run.fingerprint).where('pool', '=', run.pool).execute();
  }
}
