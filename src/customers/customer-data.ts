import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/** Who is forgotten: enough for every owner to find its rows (by id, or by the address for rows kept before an account existed). */
export interface ForgottenCustomer {
  id: string;
  pool: string;
  email: string;
}

/**
 * The owner of tables that hold a customer's data (DESIGN.md: a store class owns its tables).
 * Erasure (`Customers.erase`) asks every registered owner to forget the customer, in the
 * erasure's transaction, instead of naming other modules' tables; an operator's deletion
 * (`Customers.remove`) asks the same owners except those marked `erasureOnly`.
 */
export interface CustomerDataOwner {
  /** The tables this owner writes that hold the customer's data (each table is classified once, see test/architecture). */
  readonly tables: readonly (keyof Database)[];
  /**
   * Only erasure forgets these rows; an operator's deletion leaves them as it always has (the
   * customer row's foreign keys still take whatever is keyed by the customer's id).
   */
  readonly erasureOnly?: boolean;
  /** Deletes (or blanks, where a row must stay) this owner's rows of the customer. */
  forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void>;
}
