import type { Kysely, Transaction } from 'kysely';
import type { ConsentRecordsTable, Database } from '../store/schema.ts';
import type { ConsentPurposes } from './consent-purposes.ts';

/** Where a customer's current decision on a purpose stands: the version, the brand it was given at, and the decision. */
export interface Standing {
  version: number;
  /** The brand of the client the decision was given at; null: none. */
  brand: string | null;
  decision: ConsentRecordsTable['decision'];
}

export interface DecisionCounts {
  /** Current decision granted, to a version that still counts (the purpose's audience). */
  granted: number;
  /** Current decision granted, to a version before the last one that asked for fresh consent: no longer counts; asked again. */
  grantedOutdated: number;
  declined: number;
  withdrawn: number;
}

export interface PurposeFigures extends DecisionCounts {
  purpose: string;
  /** The brand the purpose belongs to (null: the whole group). */
  purposeBrand: string | null;
  currentVersion: number;
  /** The same counts by the brand of the client each current decision was given at (null: no brand). */
  byBrand: Array<DecisionCounts & { brand: string | null }>;
}

const NO_BRAND = '';
const zero = (): DecisionCounts => ({ granted: 0, grantedOutdated: 0, declined: 0, withdrawn: 0 });

/**
 * Consent figures: per purpose, and per brand, how many customers have each decision as their
 * current one. A projection of the ledger kept in the ledger's own transaction (rows per purpose,
 * version, brand and decision), so reading it costs a few rows whatever the number of customers.
 * Every ledger append first takes the ledger's sequence row, so appends, and the updates made
 * here, run one at a time: the counter rows add no waiting of their own and cannot deadlock.
 * The version is kept so a grant to a version since superseded by one asking fresh consent is
 * told apart from a grant that counts, as the audience export tells them apart.
 */
export class ConsentFigures {
  readonly #db: Kysely<Database>;
  readonly #purposes: ConsentPurposes;

  constructor(db: Kysely<Database>, purposes: ConsentPurposes) {
    this.#db = db;
    this.#purposes = purposes;
  }

  /** A customer's current decision moved from `from` (none: their first on the purpose) to `to`, in the ledger's transaction. */
  static async move(trx: Transaction<Database>, purpose: string, from: Standing | undefined, to: Standing): Promise<void> {
    if (from) await ConsentFigures.add(trx, purpose, from, -1);
    await ConsentFigures.add(trx, purpose, to, 1);
  }

  /** `customers` more (or fewer) customers whose current decision is `standing`. */
  static async add(trx: Transaction<Database>, purpose: string, standing: Standing, customers: number): Promise<void> {
    await trx
      .insertInto('consent_figures')
      .values({ purpose_key: purpose, version: standing.version, brand: standing.brand ?? NO_BRAND, decision: standing.decision, customers })
      .onConflict((conflict) => conflict.columns(['purpose_key', 'version', 'brand', 'decision']).doUpdateSet((eb) => ({ customers: eb('consent_figures.customers', '+', eb.ref('excluded.customers')) })))
      .execute();
  }

  /** Every purpose (at its current version) with its figures, in total and by brand. */
  async list(): Promise<PurposeFigures[]> {
    const [purposes, rows] = await Promise.all([this.#purposes.list(), this.#db.selectFrom('consent_figures').selectAll().where('customers', '!=', 0).execute()]);
    return purposes.map((purpose) => {
      const total = zero();
      const byBrand = new Map<string, DecisionCounts>();
      for (const row of rows.filter((candidate) => candidate.purpose_key === purpose.key)) {
        const bucket = row.decision === 'granted' && row.version < purpose.freshFloor ? 'grantedOutdated' : row.decision;
        const brand = byBrand.get(row.brand) ?? zero();
        brand[bucket] += Number(row.customers);
        total[bucket] += Number(row.customers);
        byBrand.set(row.brand, brand);
      }
      const brands = [...byBrand.keys()].sort();
      return {
        purpose: purpose.key,
        purposeBrand: purpose.brand,
        currentVersion: purpose.version,
        ...total,
        byBrand: brands.map((brand) => ({ brand: brand === NO_BRAND ? null : brand, ...byBrand.get(brand)! })),
      };
    });
  }
}
