import type { Insertable } from 'kysely';
import type { Database } from '../store/schema.ts';

export type ArtifactRow = Insertable<Database['oidc_artifacts']>;

/** Writes rows in one statement (`upsertArtifacts` of artifact-adapter.ts, the table's owner). */
export type UpsertRows = (rows: ArtifactRow[]) => Promise<void>;

interface QueuedUpsert {
  row: ArtifactRow;
  resolve(): void;
  reject(error: unknown): void;
}

interface Batch {
  upserts: QueuedUpsert[];
  models: Set<string>;
  /** Resolves (never rejects) once every upsert of the batch has committed or failed. */
  done: Promise<void>;
}

/** Rows per statement: PostgreSQL takes at most 65,535 parameters, nine a row here. */
const ROWS_PER_STATEMENT = 1000;

/**
 * oidc-provider's artifact upserts on PostgreSQL, gathered per turn of the event loop into one
 * multi-row `INSERT … ON CONFLICT DO UPDATE` (one commit, one WAL flush), each caller answered
 * once that statement has committed. Measured with bench/postgres-batching.ts: 64 writers on the
 * pool of 10 wrote 3,500–3,900 rows/s one upsert each and 10,000–26,000 rows/s gathered.
 *
 * Two upserts of one artifact in the same batch are one row, the later payload (what running them
 * in order leaves). Should the statement fail, each of its rows is written alone, so a bad row
 * rejects its caller only. Batches run one after the other, so writes keep their order.
 */
export class ArtifactUpserts {
  readonly #upsertRows: UpsertRows;
  #collecting: Batch | undefined;
  #inFlight: Batch | undefined;
  #tail: Promise<void> = Promise.resolve();

  constructor(upsertRows: UpsertRows) {
    this.#upsertRows = upsertRows;
  }

  /** Resolves once the row is committed; rejects if it could not be written. */
  upsert(row: ArtifactRow): Promise<void> {
    const batch = (this.#collecting ??= this.#startBatch());
    batch.models.add(row.model);
    return new Promise((resolve, reject) => batch.upserts.push({ row, resolve, reject }));
  }

  /** Resolves once every upsert of `model` queued so far has committed or failed: reads and other writes of the model wait for it. */
  settled(model: string): Promise<void> {
    if (this.#collecting?.models.has(model)) return this.#collecting.done;
    if (this.#inFlight?.models.has(model)) return this.#inFlight.done;
    return Promise.resolve();
  }

  #startBatch(): Batch {
    const batch: Batch = { upserts: [], models: new Set(), done: Promise.resolve() };
    batch.done = this.#tail.then(nextTurn).then(() => this.#write(batch));
    this.#tail = batch.done;
    return batch;
  }

  async #write(batch: Batch): Promise<void> {
    if (this.#collecting === batch) this.#collecting = undefined;
    this.#inFlight = batch;
    try {
      // The last upsert of each artifact is the one that counts; one statement may not touch a row twice.
      const latest = new Map(batch.upserts.map((upsert) => [`${upsert.row.model}\0${upsert.row.id}`, upsert.row]));
      const rows = [...latest.values()];
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
        const failed = await this.#upsertRows(chunk).then(
          () => false,
          () => true,
        );
        if (!failed) continue;
        const refused = new Map<ArtifactRow, unknown>();
        for (const row of chunk) await this.#upsertRows([row]).catch((error: unknown) => refused.set(row, error));
        for (const upsert of batch.upserts) {
          const row = latest.get(`${upsert.row.model}\0${upsert.row.id}`)!;
          if (refused.has(row)) upsert.reject(refused.get(row));
        }
      }
      // A promise settles once: those rejected above stay rejected.
      for (const upsert of batch.upserts) upsert.resolve();
    } finally {
      if (this.#inFlight === batch) this.#inFlight = undefined;
    }
  }
}

/** After the I/O callbacks of this turn of the event loop: every request read in it has queued its write. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
