import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/** Every customer Portvakt holds, in any pool. */
export const ALL_CUSTOMERS = 'customers';
/** The customers a system on the data map has a reference for. */
export const referencesIn = (system: string) => `reference:${system}`;

/** A counter with more change rows than this is folded into one row by `fold`. */
const FOLD_AT = 50;

/**
 * Counts of customers the data map shows (all customers; those with a reference in each system),
 * kept in the transaction of every write that changes them, so the overview reads a handful of
 * rows instead of counting a million.
 *
 * Kept as insert-only changes (+n, -n), not one row per counter updated in place: on PostgreSQL
 * a counter row would be locked by every sign-up, reference write and erasure until it commits.
 * Those transactions take other shared rows too (the audit chain's head, the consent ledger's
 * sequence), and not always in the same order (an erasure withdraws consents, and so takes the
 * audit head, before it forgets references), so in-place counters could deadlock. An INSERT waits
 * for nobody. Reading sums the rows of each counter; `fold` (run with the periodic cleanup)
 * replaces a counter's rows by their sum: it deletes the rows it sees (`DELETE … RETURNING`) and
 * inserts their sum, so rows written meanwhile stay, and two nodes folding at once fold disjoint rows.
 */
export class CustomerCounts {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** A change of `delta` customers to `counter`, in the caller's transaction. */
  static async change(trx: Transaction<Database>, counter: string, delta: number): Promise<void> {
    if (delta !== 0) await trx.insertInto('customer_counts').values({ id: crypto.randomUUID(), counter, customers: delta }).execute();
  }

  /** Each counter's current value. */
  async totals(): Promise<Map<string, number>> {
    const rows = await this.#db.selectFrom('customer_counts').select(['counter', (eb) => eb.fn.sum<number | string>('customers').as('n')]).groupBy('counter').execute();
    return new Map(rows.map((row) => [row.counter, Number(row.n)]));
  }

  /** Folds every counter with many change rows into one row each; answers how many counters it folded. */
  async fold(): Promise<number> {
    const crowded = await this.#db
      .selectFrom('customer_counts')
      .select('counter')
      .groupBy('counter')
      .having((eb) => eb.fn.countAll(), '>', FOLD_AT)
      .execute();
    for (const { counter } of crowded) {
      await this.#db.transaction().execute(async (trx) => {
        const taken = await trx.deleteFrom('customer_counts').where('counter', '=', counter).returning('customers').execute();
        await CustomerCounts.change(trx, counter, taken.reduce((sum, row) => sum + Number(row.customers), 0));
      });
    }
    return crowded.length;
  }
}
