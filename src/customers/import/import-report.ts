import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { LineResult, Outcome } from './import-batch.ts';

/** The report's summary: counts of outcomes, reasons and hash formats; no personal data. */
export interface ImportSummary {
  file_fingerprint: string;
  platform: string;
  dry_run: boolean;
  lines: number;
  accepted: number;
  updated: number;
  skipped: number;
  refused: number;
  /** Skips and refusals by reason (the reason's code, before any colon). */
  reasons: Record<string, number>;
  /** Accepted and updated customers by the format of their imported password hash. */
  hash_formats: Record<string, number>;
  /** The line this run continued after (0: from the start). */
  resumed_after: number;
  seconds: number;
  lines_per_s: number;
}

/**
 * The report of a run: every line's outcome, written as it comes to a JSON file
 * (`{"lines": [...], "summary": {...}}`) when one is named, and the summary counted alongside.
 * A line names only its number, its source id (never the e-mail), the field and the reason.
 */
export class ImportReport {
  readonly #out: WriteStream | undefined;
  readonly #counts: Record<Outcome, number> = { accepted: 0, updated: 0, skipped: 0, refused: 0 };
  readonly #reasons: Record<string, number> = {};
  readonly #formats: Record<string, number> = {};
  #written = 0;

  constructor(path: string | undefined) {
    this.#out = path ? createWriteStream(path) : undefined;
    this.#out?.write('{"lines":[');
  }

  get lines(): number {
    return this.#written;
  }

  async add(results: readonly LineResult[]): Promise<void> {
    let text = '';
    for (const result of results) {
      this.#counts[result.outcome] += 1;
      if (result.reason) {
        const code = result.reason.split(':')[0]!;
        this.#reasons[code] = (this.#reasons[code] ?? 0) + 1;
      }
      if (result.hashFormat && (result.outcome === 'accepted' || result.outcome === 'updated')) this.#formats[result.hashFormat] = (this.#formats[result.hashFormat] ?? 0) + 1;
      const entry = { line: result.line, outcome: result.outcome, ...(result.sourceId ? { source_id: result.sourceId } : {}), ...(result.field ? { field: result.field } : {}), ...(result.reason ? { reason: result.reason } : {}), ...(result.hashFormat ? { hash_format: result.hashFormat } : {}) };
      text += `${this.#written++ === 0 ? '' : ','}\n${JSON.stringify(entry)}`;
    }
    if (this.#out && text && !this.#out.write(text)) await once(this.#out, 'drain');
  }

  summary(fixed: Pick<ImportSummary, 'file_fingerprint' | 'platform' | 'dry_run' | 'resumed_after'>, seconds: number): ImportSummary {
    return { ...fixed, lines: this.#written, ...this.#counts, reasons: { ...this.#reasons }, hash_formats: { ...this.#formats }, seconds: Math.round(seconds * 10) / 10, lines_per_s: Math.round(this.#written / Math.max(seconds, 0.001)) };
  }

  async close(summary: ImportSummary | undefined): Promise<void> {
    if (!this.#out) return;
    this.#out.end(`\n],"summary":${JSON.stringify(summary ?? null)}}\n`);
    await once(this.#out, 'finish');
  }
}
