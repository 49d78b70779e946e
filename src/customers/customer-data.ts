import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * The kinds of customer data Portvakt holds, as the data map names them, in the order the map lists
 * them. Each column holding something about a customer is declared in one of these.
 */
export const DATA_CATEGORIES = {
  identity: "the customer's id, names and language",
  contact: 'e-mail addresses and phone numbers (and keyed hashes of them)',
  profile_attributes: 'the values of the attributes the profile schema defines (address and birthdate among them)',
  credentials: 'passwords, second factors, passkeys, recovery codes and one-time codes (hashes and sealed secrets)',
  sessions: 'sessions, devices, tokens, grants, sign-in flows and failed sign-ins',
  linked_identities: 'accounts at upstream identity providers: the connection and the subject there',
  consents: 'consent decisions and their proof',
  activity: 'what connected systems reported the customer did (purchases, returns, views) and the segments it places them in, kept only under the profiling consent',
  external_references: "the customer's ids in the other systems of the data map",
  orders: 'guest checkouts and their order references',
  caller_verifications: "checks of a caller's identity by customer service",
  brand_visits: "the group's brands (chains) the customer has signed in at",
  privacy_requests: 'access and erasure requests, their tasks, reports and export archives',
  messages: 'mail and SMS on their way to the customer',
  audit: 'audit entries, events and webhook deliveries about the customer (ids and names of changed fields)',
} as const;

export type DataCategory = keyof typeof DATA_CATEGORIES;

/** What erasure does with a table's rows of the customer: deleted, or kept (pseudonymized or as they are) for a reason. */
export type ErasureRule = { rule: 'delete' } | { rule: 'pseudonymize' | 'keep'; reason: string };

/**
 * Whether Portvakt's own part of an export holds the table's rows of the customer, and if not, why.
 * Included rows are in one section of the export (privacy/export-format.ts names and describes
 * every section); `reason` says which columns are left out and why (secrets, staff identifiers).
 */
export type ExportRule = { rule: 'included'; section: string; reason?: string } | { rule: 'omitted'; reason: string };

/** One table's data about customers: every column, personal ones with their data-map category, the rest `plain`. */
export interface DeclarationOf<T extends keyof Database> {
  table: T;
  columns: { readonly [C in keyof Database[T]]-?: DataCategory | 'plain' };
  erasure: ErasureRule;
  export: ExportRule;
}

/** A table declaration of any table of the schema (the columns are checked against that table's type). */
export type TableDeclaration = { [T in keyof Database]: DeclarationOf<T> }[keyof Database];

/**
 * A module that owns tables holding customer data declares them (DESIGN.md: a store class owns its
 * tables). Every table of the database is declared once, or listed as holding no customer data
 * (test/architecture/customer-data.test.ts reads the schema of both engines), so no table or column
 * can escape the data map, the export or the erasure unnoticed.
 */
export interface CustomerDataHolder {
  readonly declarations: readonly TableDeclaration[];
  /**
   * This holder's part of an export (`Customers.exportData`): section name → the customer's rows as
   * plain JSON, timestamps ISO 8601, never a secret (password hashes, TOTP secrets, token values,
   * code hashes). Every table it declares with export `included` is answered here, in its section.
   */
  exportOf?(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>>;
}

/** The tables a holder declares. */
export function tablesOf(holder: CustomerDataHolder): Array<keyof Database> {
  return holder.declarations.map((declaration) => declaration.table);
}

/** Every category the declarations hold, in the order of DATA_CATEGORIES (the built-in data-map entry lists them). */
export function declaredCategories(declarations: readonly TableDeclaration[]): DataCategory[] {
  const declared = new Set<string>(declarations.flatMap((declaration) => Object.values(declaration.columns)));
  return (Object.keys(DATA_CATEGORIES) as DataCategory[]).filter((category) => declared.has(category));
}

/** A stored time (milliseconds; PostgreSQL's bigint arrives as a string) as ISO 8601, for an export. */
export function isoTime(value: number | string | bigint): string;
export function isoTime(value: number | string | bigint | null): string | null;
export function isoTime(value: number | string | bigint | null): string | null {
  return value === null ? null : new Date(Number(value)).toISOString();
}

/** Who is forgotten: enough for every owner to find its rows (by id, or by the address for rows kept before an account existed). */
export interface ForgottenCustomer {
  id: string;
  pool: string;
  email: string;
}

/**
 * The holder that forgets: erasure (`Customers.erase`) asks every registered owner to forget the
 * customer, in the erasure's transaction, instead of naming other modules' tables; an operator's
 * deletion (`Customers.remove`) asks the same owners except those marked `erasureOnly`.
 */
export interface CustomerDataOwner extends CustomerDataHolder {
  /**
   * Only erasure forgets these rows; an operator's deletion leaves them as it always has (the
   * customer row's foreign keys still take whatever is keyed by the customer's id).
   */
  readonly erasureOnly?: boolean;
  /** Deletes (or blanks, where a row must stay) this owner's rows of the customer. */
  forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void>;
}
